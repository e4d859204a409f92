"""The project's migration runner and the real Supabase CLI (npm `supabase`, pinned in
package-lock.json) agree on what is applied, in either order: neither applies a file twice."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import BOOTSTRAP, MIGRATIONS
from videogen.db.migrations import discover, migrate
from videogen.local.postgres import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "node_modules" / ".bin" / "supabase"


def supabase_migration_up(database_url: str, workdir: Path) -> str:
    """`supabase migration up` on a copy of the project's migrations (the CLI writes a
    `.temp` folder into its workdir)."""
    assert CLI.exists(), "run `make node-tools` (make test does) to install the Supabase CLI"
    if not (workdir / "supabase").exists():
        shutil.copytree(MIGRATIONS, workdir / "supabase" / "migrations")
    result = subprocess.run(
        [
            str(CLI),
            "migration",
            "up",
            "--db-url",
            f"{database_url}?sslmode=disable",
            "--workdir",
            str(workdir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def applied_versions(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select version from supabase_migrations.schema_migrations order by version"
        )
        return [row[0] for row in rows]


@pytest.fixture
def fresh_database(postgres: EmbeddedPostgres) -> str:
    return postgres.create_database(f"cli_{uuid.uuid4().hex[:8]}")


def test_cli_first_then_runner(fresh_database: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(BOOTSTRAP.read_text())  # what a Supabase project already has
    output = supabase_migration_up(fresh_database, tmp_path)
    assert "Applying migration" in output
    assert migrate(fresh_database, MIGRATIONS) == []
    assert applied_versions(fresh_database) == [m.version for m in discover(MIGRATIONS)]


def test_runner_first_then_cli(fresh_database: str, tmp_path: Path) -> None:
    assert migrate(fresh_database, MIGRATIONS, BOOTSTRAP)
    output = supabase_migration_up(fresh_database, tmp_path)
    assert "Applying migration" not in output and "up to date" in output
