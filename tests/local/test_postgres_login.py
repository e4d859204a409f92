"""The embedded Postgres asks every login for its password (pg_hba.conf written by
videogen.local.postgres): the application's and the superuser's (kept 0600 beside the data
folder, for the admin tools)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import BOOTSTRAP, MIGRATIONS
from videogen.db.migrations import migrate
from videogen.local.postgres import APP_LOGIN, EmbeddedPostgres, free_port

REFUSED = "no password supplied|password authentication failed"


def _without_password(postgres: EmbeddedPostgres, database: str, user: str = APP_LOGIN) -> str:
    return f"postgresql://{user}@127.0.0.1:{postgres.port}/{database}"


def _refused(url: str) -> None:
    with pytest.raises(psycopg.OperationalError, match=REFUSED):
        psycopg.connect(url, connect_timeout=5, password="").close()


def test_app_login_needs_its_password(postgres: EmbeddedPostgres, app_database_url: str) -> None:
    with psycopg.connect(app_database_url) as conn:
        assert conn.execute("select current_user").fetchone() == (APP_LOGIN,)
    for url in (
        _without_password(postgres, "videogen_test"),
        postgres.url("videogen_test", (APP_LOGIN, "not-the-password")),
    ):
        _refused(url)


def test_local_database_superuser_needs_a_password(postgres: EmbeddedPostgres) -> None:
    """Security review, local stack: the superuser `postgres` connected from 127.0.0.1 without
    a password, so any local account could read or change every student's data."""
    _refused(_without_password(postgres, "postgres", user="postgres"))
    _refused(f"postgresql://postgres:not-the-password@127.0.0.1:{postgres.port}/postgres")
    assert postgres.password_file.stat().st_mode & 0o777 == 0o600
    with psycopg.connect(postgres.url(), connect_timeout=5) as conn:
        assert conn.execute(
            "select rolsuper from pg_roles where rolname = current_user"
        ).fetchone() == (True,)


def test_a_data_folder_that_trusted_everyone_asks_for_passwords_after_a_restart(
    tmp_path: Path,
) -> None:
    """`.data/postgres` made before this rule had initdb's trust-for-everyone pg_hba.conf:
    the next start writes the rule again."""
    server = EmbeddedPostgres(tmp_path / "data", free_port())
    server.start()
    try:
        migrate(server.url(), MIGRATIONS, BOOTSTRAP)  # creates videogen_app
        server.create_app_login("s3cret-for-this-test")
        server.stop()
        (server.data_dir / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        server.start()
        _refused(_without_password(server, "postgres"))
        _refused(_without_password(server, "postgres", user="postgres"))
        login = server.url("postgres", (APP_LOGIN, "s3cret-for-this-test"))
        psycopg.connect(login, connect_timeout=5).close()
        psycopg.connect(server.url(), connect_timeout=5).close()  # the admin tools' superuser
    finally:
        server.stop()


def test_a_data_folder_made_before_the_superuser_had_a_password_gets_one(tmp_path: Path) -> None:
    """`.data/postgres` of an earlier version: no password file, a trusting pg_hba.conf."""
    server = EmbeddedPostgres(tmp_path / "data", free_port())
    server.start()
    try:
        first = server.password_file.read_text()
        server.stop()
        server.password_file.unlink()
        (server.data_dir / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        server.start()
        assert server.password_file.read_text() != first
        _refused(_without_password(server, "postgres", user="postgres"))
        _refused(f"postgresql://postgres:{first}@127.0.0.1:{server.port}/postgres")
        psycopg.connect(server.url(), connect_timeout=5).close()
        server.stop()
        server.start()  # a restart keeps the password
        psycopg.connect(server.url(), connect_timeout=5).close()
    finally:
        server.stop()
