"""KPI fixtures: one real Spark local session per run, jobs written straight to Postgres."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.pooler import StartupFilteringPooler
from tests.support.tls import make_ca, make_server_cert
from videogen.local.postgres import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
LTX, KLING = "fal-ai/ltx-video", "fal-ai/kling-video/v2.1/master/text-to-video"
JDBC_JAR = Path("/usr/share/java/postgresql.jar")
sys.path.insert(0, str(ROOT / "emr"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not JDBC_JAR.exists():
        pytest.fail(f"{JDBC_JAR} is missing: `make test` installs libpostgresql-jdbc-java")
    import kpi_job
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in kpi_job.local_filesystem_conf().items():  # file:// as local runs have it
        builder = builder.config(key, value)
    session = (
        builder.master("local[2]")
        .appName("videogen-kpi-tests")
        .config("spark.jars", str(JDBC_JAR))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def make_user(conn: psycopg.Connection, email: str | None = None) -> uuid.UUID:
    user_id = uuid.uuid4()
    conn.execute(
        "insert into auth.users (id, email) values (%s, %s)",
        (user_id, email or f"{user_id.hex[:8]}@school.example"),
    )
    return user_id


def add_job(
    conn: psycopg.Connection,
    *,
    user_id: uuid.UUID | None,
    created_at: datetime,
    status: str = "completed",
    model: str = "fal-ai/ltx-video",
    duration: float | None = 30.0,
    submit_delay: float | None = 2.0,
    cost: str | None = "0.2000",
) -> None:
    """A job; `duration` is finished_at - submitted_at (None: no finish time)."""
    submitted = created_at + timedelta(seconds=submit_delay) if submit_delay is not None else None
    finished = None
    if duration is not None:
        finished = (submitted or created_at) + timedelta(seconds=duration)
    conn.execute(
        """insert into public.jobs (user_id, model, prompt, status, cost_estimate_usd,
               created_at, submitted_at, finished_at)
           values (%s, %s, 'a fox in the snow', %s, %s, %s, %s, %s)""",
        (
            user_id,
            model,
            status,
            Decimal(cost) if cost is not None else None,
            created_at,
            submitted,
            finished,
        ),
    )


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def week(db: psycopg.Connection) -> dict[str, Any]:
    """Nov 1-5 2026: a busy day, an all-failed day, an empty day, a returning user."""
    ada, bob, cy = make_user(db), make_user(db), make_user(db)
    # Nov 1: 2 models, every state, a job without finish time, a deleted account's job
    add_job(db, user_id=ada, created_at=at(1, 9), duration=10, cost="0.1000")
    add_job(db, user_id=ada, created_at=at(1, 10), duration=20, cost="0.2000")
    add_job(db, user_id=bob, created_at=at(1, 11), duration=40, model=KLING, cost="1.4000")
    add_job(db, user_id=bob, created_at=at(1, 12), status="failed", duration=5)
    add_job(db, user_id=None, created_at=at(1, 13), status="cancelled", duration=1)
    add_job(db, user_id=cy, created_at=at(1, 14), status="in_progress", duration=None)
    add_job(db, user_id=cy, created_at=at(1, 15), duration=None, cost="0.3000")  # no finish
    # Nov 2: all failed
    add_job(db, user_id=bob, created_at=at(2, 8), status="failed", duration=3)
    add_job(db, user_id=cy, created_at=at(2, 9), status="failed", duration=4, model=KLING)
    # Nov 3: nothing.  Nov 4: ada again, plus a late finish (created 23:50, done next day)
    add_job(db, user_id=ada, created_at=at(4, 10), duration=60, cost="0.5000")
    add_job(db, user_id=ada, created_at=at(4, 23, 50), duration=1200, cost="0.5000")
    # outside the window, but inside the read margin: never counted
    add_job(db, user_id=bob, created_at=at(1, 0) - timedelta(minutes=5))
    add_job(db, user_id=bob, created_at=at(6, 0, 5))
    return {"ada": ada, "bob": bob, "cy": cy}


# --- schools and classes (issue 16: KPIs per school and per class) ---


def make_school(db: psycopg.Connection, name: str, time_zone: str = "UTC") -> uuid.UUID:
    row = db.execute(
        "insert into public.schools (name, time_zone) values (%s, %s) returning id",
        (name, time_zone),
    ).fetchone()
    assert row is not None
    return row[0]


def make_class(db: psycopg.Connection, school: uuid.UUID, name: str) -> uuid.UUID:
    row = db.execute(
        "insert into public.classes (school_id, name) values (%s, %s) returning id",
        (school, name),
    ).fetchone()
    assert row is not None
    return row[0]


def pupil(db: psycopg.Connection, school: uuid.UUID) -> uuid.UUID:
    user = make_user(db)
    db.execute("update public.profiles set school_id = %s where id = %s", (school, user))
    return user


def in_class(db: psycopg.Connection, class_id: uuid.UUID, since: datetime) -> None:
    """Puts the class's school's jobs created since `since` into it (add_job sets none)."""
    db.execute(
        """update public.jobs set class_id = %s where created_at >= %s and class_id is null
             and school_id = (select school_id from public.classes where id = %s)""",
        (class_id, since, class_id),
    )


def blocked(
    db: psycopg.Connection,
    school: uuid.UUID,
    klass: uuid.UUID | None,
    user: uuid.UUID | None,
    created_at: datetime,
) -> None:
    db.execute(
        """insert into public.safety_events (school_id, class_id, user_id, rule, prompt,
               created_at) values (%s, %s, %s, 'blocklist:term', 'something', %s)""",
        (school, klass, user, created_at),
    )


@pytest.fixture
def campus(db: psycopg.Connection) -> dict[str, Any]:
    """Two schools (one in Auckland, 13 h ahead of UTC in November), three classes, jobs with
    and without a class, a deleted account's job, refused prompts, Nov 1-3 2026."""
    north, south = make_school(db, "North"), make_school(db, "South", "Pacific/Auckland")
    art, maths = make_class(db, north, "Art"), make_class(db, north, "Maths")
    drama = make_class(db, south, "Drama")
    ada, bob, cy = pupil(db, north), pupil(db, north), pupil(db, south)
    t0 = at(1, 0)
    # North, Art, Nov 1: every state, two users
    add_job(db, user_id=ada, created_at=at(1, 9), duration=10, cost="0.1000")
    add_job(db, user_id=ada, created_at=at(1, 10), duration=30, cost="0.3000")
    add_job(db, user_id=bob, created_at=at(1, 11), duration=50, model=KLING, cost="1.5000")
    add_job(db, user_id=bob, created_at=at(1, 12), status="failed", duration=5)
    add_job(db, user_id=bob, created_at=at(1, 13), status="cancelled", duration=1)
    in_class(db, art, t0)
    # North, Maths, Nov 2; and a North job of no class on Nov 2 (school row only)
    add_job(db, user_id=ada, created_at=at(2, 9), duration=20, cost="0.2000")
    in_class(db, maths, at(2, 0))
    add_job(db, user_id=bob, created_at=at(2, 10), duration=40, cost="0.4000")
    # South (Auckland), Drama: 2026-11-01 20:00 UTC is Nov 2 09:00 there
    add_job(db, user_id=cy, created_at=at(1, 20), duration=60, cost="0.5000")
    add_job(db, user_id=cy, created_at=at(2, 9), status="failed", duration=3)
    gone = pupil(db, south)
    add_job(db, user_id=gone, created_at=at(2, 10), duration=70, cost="0.7000")
    in_class(db, drama, at(1, 19))
    db.execute("delete from auth.users where id = %s", (gone,))  # the job stays, anonymised
    # refused prompts: North Art Nov 1 (two), South no class Nov 3 (a day without jobs)
    blocked(db, north, art, ada, at(1, 14))
    blocked(db, north, art, bob, at(1, 15))
    blocked(db, south, None, cy, at(2, 12))  # Nov 3 01:00 in Auckland
    # outside the window in each school's day: never counted
    add_job(db, user_id=ada, created_at=at(3, 23, 30))  # North Nov 3 (window ends Nov 3)...
    add_job(db, user_id=cy, created_at=at(3, 12))  # ...South Nov 4 01:00: outside
    return {"north": north, "south": south, "art": art, "maths": maths, "drama": drama}


@pytest.fixture(autouse=True)
def fresh_kpi_runner() -> Iterator[None]:
    """The runner is built once per process, like settings; each test builds its own."""
    from videogen.kpis.deps import get_kpi_runner

    get_kpi_runner.cache_clear()
    yield
    get_kpi_runner.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS (emr-serverless, scheduler, ssm), with dummy credentials."""
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server on 127.0.0.1 (S3, SSM, ...): a real endpoint, also for subprocesses."""
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass(frozen=True)
class TlsDatabase:
    """The test database behind a TLS-terminating pooler stand-in, as Supavisor serves it."""

    url: str  # postgresql://…?sslmode=verify-full, no CA in it
    ca_pem: str  # the CA that signed the server's certificate
    pooler: StartupFilteringPooler


@pytest.fixture(scope="session")
def tls_database(
    postgres: EmbeddedPostgres, database_url: str
) -> Iterator[Callable[[tuple[str, ...]], TlsDatabase]]:
    """`make(hosts)`: a pooler (one per host list) whose certificate names `hosts` and is
    signed by a throwaway CA; production's is signed by Supabase's CA for the pooler's host."""
    made: dict[tuple[str, ...], TlsDatabase] = {}

    def make(hosts: tuple[str, ...] = ("127.0.0.1",)) -> TlsDatabase:
        if hosts not in made:
            ca = make_ca("Supabase Root 2021 CA (test stand-in)")
            relay = StartupFilteringPooler(postgres.port, tls=make_server_cert(ca, hosts))
            url = f"{relay.url(database_url)}?sslmode=verify-full"
            made[hosts] = TlsDatabase(url, ca.cert_pem, relay)
        return made[hosts]

    yield make
    for tls in made.values():
        tls.pooler.close()
