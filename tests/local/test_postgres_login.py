"""The embedded Postgres asks the application's login for its password (pg_hba.conf written
by videogen.local.postgres); only the superuser, for the admin tools, connects without one."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import BOOTSTRAP, MIGRATIONS
from videogen.db.migrations import migrate
from videogen.local.postgres import APP_LOGIN, EmbeddedPostgres, free_port

REFUSED = "no password supplied|password authentication failed"


def _without_password(postgres: EmbeddedPostgres, database: str) -> str:
    return postgres.url(database).replace(f"{postgres.user}@", f"{APP_LOGIN}@")


def test_app_login_needs_its_password(postgres: EmbeddedPostgres, app_database_url: str) -> None:
    with psycopg.connect(app_database_url) as conn:
        assert conn.execute("select current_user").fetchone() == (APP_LOGIN,)
    for url in (
        _without_password(postgres, "videogen_test"),
        postgres.url("videogen_test", (APP_LOGIN, "not-the-password")),
    ):
        with pytest.raises(psycopg.OperationalError, match=REFUSED):
            psycopg.connect(url, connect_timeout=5).close()


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
        with pytest.raises(psycopg.OperationalError, match=REFUSED):
            psycopg.connect(_without_password(server, "postgres"), connect_timeout=5).close()
        login = server.url("postgres", (APP_LOGIN, "s3cret-for-this-test"))
        psycopg.connect(login, connect_timeout=5).close()
        psycopg.connect(server.url(), connect_timeout=5).close()  # the admin tools' superuser
    finally:
        server.stop()
