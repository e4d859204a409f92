"""Fixtures: one real embedded Postgres and one real S3 server (SeaweedFS, as `make run`
starts) per test run; every test starts from empty tables, an empty bucket and fresh
settings read from the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FAL_USER_ID, FakeFal
from tests.support.handlers import load_handler
from tests.support.schools import School, school_with_users
from tests.support.users import DEFAULT, DEFAULT_SCHOOL, User, register_user
from videogen.auth.deps import get_identity_provider, get_token_verifier
from videogen.copies.deps import get_copy_queue
from videogen.db import get_database
from videogen.db.migrations import migrate
from videogen.generations.deps import get_provider, use_local_provider
from videogen.kpis.deps import get_kpi_runner
from videogen.local.fal_simulator import get_simulator
from videogen.local.object_store import (
    LOCAL_ACCESS_KEY_ID,
    LOCAL_SECRET_ACCESS_KEY,
    SeaweedPorts,
    SeaweedS3,
)
from videogen.local.postgres import APP_LOGIN, EmbeddedPostgres, free_port
from videogen.settings import get_settings
from videogen.storage.deps import get_object_store
from videogen.webhooks.deps import get_webhook_verifier

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "supabase" / "migrations"
BOOTSTRAP = ROOT / "supabase" / "local" / "bootstrap.sql"
TEST_JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
TEST_WEBHOOK_SECRET = "test-webhook-token-secret"

TABLES = [
    "auth.users",
    "public.account_erasures",
    "public.erased_usage",
    "public.jobs",
    "public.webhook_events",
    "public.kpi_spark_daily",
    "public.kpi_spark_daily_models",
    "public.revoked_sessions",
    "public.classes",
    "public.teacher_invites",
    "public.school_activity",
    "public.pending_enrolments",
    "public.budget_ledger",
]


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """SeaweedFS, spawned first so that it boots while Postgres starts (`s3_endpoint`)."""
    server = SeaweedS3(tmp_path_factory.mktemp("s3") / "data", SeaweedPorts.free())
    server.spawn()
    yield server
    server.stop(grace=0)  # its data is thrown away: no need to wait for a clean stop


@pytest.fixture(scope="session")
def postgres(
    local_s3: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(local_s3: SeaweedS3, postgres: EmbeddedPostgres) -> str:
    """The S3 server's endpoint, once it takes writes; its `videos` and `kpis` buckets exist."""
    local_s3.wait_ready()
    return local_s3.endpoint_url


@pytest.fixture
def s3(local_s3: SeaweedS3):  # type: ignore[no-untyped-def]
    """A boto3 client on the test S3 server (the local stack's keys)."""
    return local_s3.client()


def empty_bucket(client, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})


@pytest.fixture(scope="session")
def database_url(postgres: EmbeddedPostgres) -> str:
    """The superuser's URL: migrations, test setup and assertions (the app never uses it)."""
    url = postgres.create_database("videogen_test")
    migrate(url, MIGRATIONS, BOOTSTRAP)
    return url


@pytest.fixture(scope="session")
def app_database_url(postgres: EmbeddedPostgres, database_url: str) -> str:
    """What the app connects with (`DATABASE_URL`): a password login that is a member of
    `videogen_app`, as in production, so every test runs the app under its grants."""
    password = secrets.token_urlsafe(24)
    postgres.create_app_login(password)
    return postgres.url(database_url.rsplit("/", 1)[1], (APP_LOGIN, password))


def clear_caches() -> None:
    """Settings, pool and adapters are built once per process; tests rebuild them."""
    if get_database.cache_info().currsize:
        get_database().close()
    for cached in (
        get_settings,
        get_database,
        get_identity_provider,
        get_token_verifier,
        get_provider,
        get_simulator,
        get_object_store,
        get_webhook_verifier,
        get_copy_queue,
        get_kpi_runner,
    ):
        cached.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def local_adapters() -> None:
    """What the local stack plugs in (videogen.local.app): the fal simulator, for tests that
    run with GENERATION_BACKEND=simulator (the local default)."""
    use_local_provider(get_simulator)


@pytest.fixture(autouse=True)
def base_env(
    database_url: str,
    app_database_url: str,
    s3_endpoint: str,
    s3,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith(
            ("SUPABASE_", "IDENTITY_", "JWT_", "LOCAL_AUTH_", "FAL_", "STORAGE_", "COPY_")
        ):
            monkeypatch.delenv(key)
    monkeypatch.setenv("APP_ENV", "local")
    monkeypatch.setenv("DATABASE_URL", app_database_url)
    monkeypatch.setenv("SUPABASE_JWT_SECRET", TEST_JWT_SECRET)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("WEBHOOK_TOKEN_SECRET", TEST_WEBHOOK_SECRET)
    # users made by make_user register without a class code: students of the default school
    # (tests of invite-only registration turn it off)
    monkeypatch.setenv("OPEN_SIGNUP", "true")
    monkeypatch.setenv("FAL_ACCOUNT_ID", FAL_USER_ID)
    monkeypatch.setenv("COPY_QUEUE_PATH", str(tmp_path / "copy-queue.sqlite3"))
    monkeypatch.setenv("STORAGE_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("STORAGE_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID)
    monkeypatch.setenv("STORAGE_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY)
    clear_caches()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"truncate {', '.join(TABLES)} cascade")
        # the schools tests made, gone; the default school back to the migration's settings
        conn.execute("delete from public.schools where id <> %s", (DEFAULT_SCHOOL,))
        conn.execute(
            """update public.schools set name = 'Default school', time_zone = default,
                   retention_days = default, email_domains = default,
                   blocklist_terms = default, allowed_models = null,
                   monthly_budget = null where id = %s""",
            (DEFAULT_SCHOOL,),
        )
        conn.execute(
            """update public.school_role_limits
               set daily_money = null, allowed_models = null,
                   daily_videos = case role when 'student' then 5 when 'teacher' then 20
                                  else 100 end
               where school_id = %s""",
            (DEFAULT_SCHOOL,),
        )
    empty_bucket(s3, "videos")
    yield
    clear_caches()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Sets environment variables (UPPER_CASE=value) and rebuilds settings and adapters."""

    def apply(**env: str) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        clear_caches()

    return apply


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def make_user(database_url: str) -> Callable[..., User]:
    """Registers a user through the auth function; `role` and `school` (default: the default
    school; none for an operator) are then set in the database."""
    counter = iter(range(1000))

    def make(role: str = "student", email: str | None = None, school: object = DEFAULT) -> User:
        email = email or f"user{next(counter)}@school.example"
        return register_user(database_url, email, role, school)

    return make


@pytest.fixture
def fal(configure: Callable[..., None]) -> Iterator[FakeFal]:
    """A fake fal.ai server, and the settings that point the fal adapter at it."""
    fake = FakeFal()
    configure(
        GENERATION_BACKEND="fal",
        FAL_KEY="fal-test-key",
        FAL_QUEUE_URL=fake.url,
        FAL_JWKS_URL=f"{fake.url}/.well-known/jwks.json",
        FAL_MEDIA_HOSTS="127.0.0.1",
        MEDIA_ALLOW_HTTP="true",
        PUBLIC_BASE_URL="https://api.videogen.test",
    )
    yield fake
    fake.close()


@pytest.fixture
def admin_api(fal: FakeFal) -> TestClient:
    """The admin function's app (schools, budgets, admin routes), its fal calls faked."""
    return TestClient(load_handler("admin").app)


@pytest.fixture
def school_b(database_url: str, make_user) -> School:  # type: ignore[no-untyped-def]
    """A second school with an admin, a teacher and a student of its own (tenancy tests)."""
    return school_with_users(database_url, make_user, "School B")


@pytest.fixture
def generations(fal: FakeFal) -> TestClient:
    """The generations function's app, its fal adapter pointed at the fake fal server."""
    return TestClient(load_handler("generations").app)


@pytest.fixture
def webhooks(fal: FakeFal) -> TestClient:
    """The webhooks function's app, verifying deliveries against the fake fal's keys."""
    return TestClient(load_handler("webhooks").app)


@pytest.fixture
def submitted(generations: TestClient, fal: FakeFal, make_user) -> tuple[User, dict, str]:
    """A user, their submitted job, and the fal request id."""
    user = make_user()
    response = generations.post(
        "/generations",
        json={"model": "fal-ai/ltx-video", "prompt": "a comet"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    job = response.json()
    (request_id,) = fal.requests
    return user, job, request_id
