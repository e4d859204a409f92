"""Applies `supabase/migrations/*.sql` in order, recording them where the Supabase CLI does.

The Supabase CLI (`supabase migration up` / `supabase db push`) keeps applied versions in
`supabase_migrations.schema_migrations(version, name, statements)`. This runner writes the
same rows, so either tool sees the other's work and a file is never applied twice.
Run: `python -m videogen.db.migrations --database-url ...`
(`--bootstrap supabase/local/bootstrap.sql` first creates the local Supabase stand-ins).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

logger = logging.getLogger(__name__)

_FILENAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_ID = 7_361_245_001  # pg_advisory_lock key: one runner at a time

_TRACKING_TABLE = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text not null primary key,
    statements text[],
    name text
);
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path) -> list[Migration]:
    """Migration files in version order; a badly named .sql file is an error, not skipped."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            raise ValueError(f"Migration file name must be <14 digits>_<name>.sql: {path.name}")
        migrations.append(Migration(match["version"], match["name"], path))
    return migrations


def apply_sql_file(conn: psycopg.Connection, path: Path) -> None:
    """Runs a whole SQL file (e.g. the local bootstrap) in the current transaction."""
    conn.execute(path.read_text(encoding="utf-8"))


def migrate(database_url: str, directory: Path, bootstrap: Path | None = None) -> list[str]:
    """Applies pending migrations, each in its own transaction. Returns the versions applied."""
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            if bootstrap is not None:
                with conn.transaction():
                    apply_sql_file(conn, bootstrap)
            conn.execute(_TRACKING_TABLE)
            done = {
                row[0]
                for row in conn.execute("select version from supabase_migrations.schema_migrations")
            }
            for migration in discover(directory):
                if migration.version in done:
                    continue
                sql = migration.sql
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "insert into supabase_migrations.schema_migrations"
                        " (version, name, statements) values (%s, %s, %s)",
                        (migration.version, migration.name, [sql]),
                    )
                logger.info(
                    "migration applied",
                    extra={"version": migration.version, "migration": migration.name},
                )
                applied_now.append(migration.version)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def repo_root() -> Path:
    """The checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--migrations", type=Path, default=repo_root() / "supabase" / "migrations")
    parser.add_argument("--bootstrap", type=Path, default=None)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    from videogen.logs import configure_logging

    configure_logging()
    applied = migrate(args.database_url, args.migrations, args.bootstrap)
    logger.info("migrations done", extra={"applied": applied})


if __name__ == "__main__":
    main()
