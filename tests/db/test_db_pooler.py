"""Postgres as Supabase's pooler serves it: timeouts without startup options, verified TLS.

Timeout tests go through `StartupFilteringPooler`, a relay that forwards only user,
database and application_name to the real test Postgres, as Supavisor does: a timeout
passed as `options=-c statement_timeout=…` at connect is lost on the way. TLS tests run a
second embedded Postgres with TLS on, its certificate signed by a throwaway CA.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from tests.support.pooler import StartupFilteringPooler
from tests.support.tls import Issued, make_ca, make_server_cert
from tests.support.users import User
from videogen.db import Database, DatabaseTimeout, DatabaseUnavailable, get_database
from videogen.db.tls import write_ca_file
from videogen.local.postgres import EmbeddedPostgres


@pytest.fixture(scope="module")
def pooler(postgres: EmbeddedPostgres) -> Iterator[StartupFilteringPooler]:
    relay = StartupFilteringPooler(postgres.port)
    yield relay
    relay.close()


@pytest.fixture
def pooled_url(pooler: StartupFilteringPooler, database_url: str) -> str:
    return pooler.url(database_url)


@pytest.fixture
def database(pooled_url: str) -> Iterator[Callable[..., Database]]:
    opened: list[Database] = []

    def make(**kwargs: int) -> Database:
        db = Database(pooled_url, max_size=1, **kwargs)
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


def test_the_stand_in_drops_startup_options_as_supavisor_does(
    pooler: StartupFilteringPooler, pooled_url: str
) -> None:
    """The issue's finding: a timeout sent at connect is not in force behind the pooler."""
    with psycopg.connect(pooled_url, options="-c statement_timeout=1234") as conn:
        assert conn.execute("show statement_timeout").fetchone() == ("0",)
    assert pooler.startups[-1]["options"] == "-c statement_timeout=1234"


def test_timeouts_hold_in_every_transaction_without_startup_options(
    pooler: StartupFilteringPooler, database: Callable[..., Database]
) -> None:
    db = database(statement_timeout_ms=1500, idle_in_transaction_timeout_ms=60_000)
    before = len(pooler.startups)
    for _ in range(2):  # the second transaction reuses the pooled connection
        with db.connection() as conn:
            row = conn.execute(
                "select current_setting('statement_timeout') as st, "
                "current_setting('idle_in_transaction_session_timeout') as idle"
            ).fetchone()
            assert row == {"st": "1500ms", "idle": "1min"}
    assert "options" not in db.connect_kwargs()
    (startup,) = pooler.startups[before:]  # one connection, opened without options
    assert "options" not in startup


def test_the_timeouts_are_local_to_their_transaction(database: Callable[..., Database]) -> None:
    """`SET LOCAL`: the next client of the same server connection does not inherit them."""
    db = database(statement_timeout_ms=1500)
    with db.connection() as conn:
        conn.commit()
        assert conn.execute("show statement_timeout").fetchone() == {"statement_timeout": "0"}


def test_a_slow_statement_is_cancelled_and_is_a_503(database: Callable[..., Database]) -> None:
    db = database(statement_timeout_ms=200)
    with pytest.raises(DatabaseTimeout) as caught, db.connection() as conn:
        conn.execute("select pg_sleep(10)")
    assert caught.value.status_code == 503
    assert caught.value.code == "database_timeout"
    with db.connection() as conn:  # the connection is usable again
        assert conn.execute("select 1 as one").fetchone() == {"one": 1}


def test_a_request_stuck_behind_a_lock_answers_503_database_timeout(
    configure: Callable[..., None],
    pooled_url: str,
    database_url: str,
    make_user: Callable[..., User],
) -> None:
    user = make_user()
    configure(DATABASE_URL=pooled_url, DB_STATEMENT_TIMEOUT_MS="100")
    client = TestClient(load_handler("auth").app)
    assert client.get("/me", headers=user.headers).status_code == 200
    with psycopg.connect(database_url) as locker:
        # if the request were not cancelled, this session's end would free it after 5 s
        locker.execute("set idle_in_transaction_session_timeout = '5s'")
        locker.execute("lock table public.profiles in access exclusive mode")
        response = client.get("/me", headers=user.headers)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_timeout"
    assert response.headers["retry-after"] == "5"


# --- verified TLS (sslmode=verify-full with the CA from DATABASE_CA_CERT) ---


@pytest.fixture(scope="module")
def tls_pooler(postgres: EmbeddedPostgres) -> Iterator[tuple[StartupFilteringPooler, Issued]]:
    """The pooler stand-in terminating TLS with a certificate for 127.0.0.1 signed by a
    throwaway CA, as Supavisor does with one signed by Supabase's CA."""
    ca = make_ca("Supabase Root 2021 CA (test stand-in)")
    relay = StartupFilteringPooler(
        postgres.port, tls=make_server_cert(ca, ("127.0.0.1", "localhost"))
    )
    yield relay, ca
    relay.close()


def test_verified_tls_with_the_ca_from_settings(
    configure: Callable[..., None],
    tls_pooler: tuple[StartupFilteringPooler, Issued],
    database_url: str,
) -> None:
    relay, ca = tls_pooler
    url = relay.url(database_url)
    configure(DATABASE_URL=f"{url}?sslmode=verify-full", DATABASE_CA_CERT=ca.cert_pem)
    db = get_database()
    with db.connection() as conn:
        assert conn.execute("select 1 as one").fetchone() == {"one": 1}
        assert conn.pgconn.ssl_in_use
        assert conn.info.get_parameters()["sslmode"] == "verify-full"
        assert Path(conn.info.get_parameters()["sslrootcert"]).read_text().strip() == (
            ca.cert_pem.strip()
        )


def test_a_server_certificate_from_another_ca_is_refused(
    configure: Callable[..., None],
    tls_pooler: tuple[StartupFilteringPooler, Issued],
    database_url: str,
) -> None:
    relay, _ = tls_pooler
    url = relay.url(database_url)
    configure(
        DATABASE_URL=f"{url}?sslmode=verify-full",
        DATABASE_CA_CERT=make_ca("Someone Else's CA").cert_pem,
        DB_CONNECT_TIMEOUT_SECONDS="1",
    )
    with pytest.raises(DatabaseUnavailable), get_database().connection() as conn:
        conn.execute("select 1")


def test_the_ca_file_is_written_once_under_its_content_hash(tmp_path: Path) -> None:
    first_pem, second_pem = make_ca().cert_pem, make_ca().cert_pem
    first = write_ca_file(first_pem, str(tmp_path))
    assert first.read_text() == first_pem.strip() + "\n"
    assert write_ca_file(first_pem, str(tmp_path)) == first
    second = write_ca_file(second_pem, str(tmp_path))
    assert second != first and second.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])
