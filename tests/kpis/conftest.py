"""KPI fixtures: one real Spark local session per run, jobs written straight to Postgres."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
JDBC_JAR = Path("/usr/share/java/postgresql.jar")
sys.path.insert(0, str(ROOT / "emr"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not JDBC_JAR.exists():
        pytest.fail(f"{JDBC_JAR} is missing: `make test` installs libpostgresql-jdbc-java")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
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


@pytest.fixture(autouse=True)
def fresh_kpi_runner() -> Iterator[None]:
    """The runner is built once per process, like settings; each test builds its own."""
    from videogen.kpis.runner import get_kpi_runner

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
