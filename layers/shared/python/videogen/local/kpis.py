"""`make kpis`: the KPI Spark job once, on `make run`'s database and S3 server.

The same job script as the admin dashboard's "run" button (and EMR in production); the
Parquet goes to `s3://kpis/kpis` on the local S3 server, the keys in the environment. The
database's password comes from the URL or, as libpq does, from `PGPASSWORD` (the Makefile
reads the local superuser's from `.data/postgres.password`): the JDBC driver reads neither.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from urllib.parse import quote, urlsplit, urlunsplit

from videogen.db.migrations import repo_root
from videogen.local.object_store import (
    KPI_OUTPUT_PATH,
    LOCAL_ACCESS_KEY_ID,
    LOCAL_SECRET_ACCESS_KEY,
)


def with_password(url: str, password: str | None) -> str:
    """`url` with `password` added when it names a user but no password."""
    parts = urlsplit(url)
    if not password or parts.password is not None or not parts.username:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--s3-port", type=int, default=int(os.environ.get("LOCAL_S3_PORT", "8333")))
    args = parser.parse_args(argv)
    env = {
        **os.environ,
        # not on the command line
        "KPI_JDBC_URL": with_password(args.database_url, os.environ.get("PGPASSWORD")),
        "AWS_ACCESS_KEY_ID": os.environ.get("STORAGE_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID),
        "AWS_SECRET_ACCESS_KEY": os.environ.get(
            "STORAGE_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY
        ),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    endpoint = os.environ.get("STORAGE_ENDPOINT_URL", f"http://127.0.0.1:{args.s3_port}")
    command = [
        sys.executable,
        str(repo_root() / "emr" / "kpi_job.py"),
        f"--days={args.days}",
        f"--output-path={KPI_OUTPUT_PATH}",
        f"--s3-endpoint-url={endpoint}",
    ]
    return subprocess.run(command, env=env, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
