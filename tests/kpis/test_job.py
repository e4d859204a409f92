"""The Spark KPI job on a real local Spark and a real Postgres, checked against plain SQL."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import kpi_job
import psycopg
import pytest

from tests.kpis.conftest import KLING, LTX, add_job, at, make_user
from videogen.kpis import definitions as kpi
from videogen.logs import JsonFormatter

pytestmark = pytest.mark.spark

EXACT = [c for c in kpi.DAILY_COLUMNS if not c.startswith("p")]
EXACT_MODEL = [c for c in kpi.MODEL_COLUMNS if not c.startswith("p")]

# Plain SQL, written independently of the Spark job, for the exact KPIs.
SQL_DAILY = """
with days as (
  select d::date as job_date from generate_series(%(start)s::date, %(end)s::date, '1 day') d
), j as (
  select (created_at at time zone %(tz)s)::date as job_date, * from public.jobs
)
select days.job_date,
  count(j.id) as jobs_total,
  count(j.id) filter (where j.status = 'completed') as jobs_succeeded,
  count(j.id) filter (where j.status = 'failed') as jobs_failed,
  count(j.id) filter (where j.status = 'cancelled') as jobs_cancelled,
  count(distinct j.user_id) as active_users,
  avg(j.duration_seconds) filter (where j.status = 'completed') as avg_duration_seconds,
  (count(j.id) filter (where j.status = 'completed'))::float8
    / nullif(count(j.id) filter (where j.status in ('completed', 'failed', 'cancelled')), 0)
    as success_rate,
  coalesce(sum(j.cost_estimate_usd) filter (where j.status = 'completed'), 0) as cost_usd,
  percentile_disc(0.5) within group (order by j.duration_seconds)
    filter (where j.status = 'completed') as p50_duration_seconds,
  percentile_disc(0.95) within group (order by j.duration_seconds)
    filter (where j.status = 'completed') as p95_duration_seconds
from days left join j using (job_date)
group by days.job_date order by days.job_date
"""

SQL_MODELS = """
with j as (select (created_at at time zone %(tz)s)::date as job_date, * from public.jobs)
select job_date, model,
  count(*) as jobs_total,
  count(*) filter (where status = 'completed') as jobs_succeeded,
  count(*) filter (where status = 'failed') as jobs_failed,
  count(*) filter (where status = 'cancelled') as jobs_cancelled,
  avg(duration_seconds) filter (where status = 'completed') as avg_duration_seconds,
  (count(*) filter (where status = 'completed'))::float8
    / nullif(count(*) filter (where status in ('completed', 'failed', 'cancelled')), 0)
    as success_rate,
  coalesce(sum(cost_estimate_usd) filter (where status = 'completed'), 0) as cost_usd
from j where job_date between %(start)s and %(end)s
group by job_date, model order by job_date, model
"""


def run_job(spark: Any, database_url: str, *args: str) -> int:
    return kpi_job.main([*args, "--jdbc-url", database_url, "--num-partitions", "3"], spark=spark)


def rows(db: psycopg.Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    with db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def stored_daily(db: psycopg.Connection, start: date, end: date) -> list[dict[str, Any]]:
    return rows(
        db,
        "select * from public.kpi_spark_daily where job_date between %(s)s and %(e)s "
        "order by job_date",
        s=start,
        e=end,
    )


def assert_same(actual: dict[str, Any], expected: dict[str, Any], columns: list[str]) -> None:
    for column in columns:
        got, want = actual[column], expected[column]
        if isinstance(want, float) or isinstance(got, float):
            assert (got is None) == (want is None), (actual["job_date"], column, got, want)
            if want is not None:
                assert math.isclose(got, want, rel_tol=1e-12), (column, got, want)
        else:
            assert got == want, (actual["job_date"], column, got, want)


def assert_matches_sql(
    db: psycopg.Connection, start: date, end: date, tz: str = "UTC"
) -> list[dict[str, Any]]:
    expected = rows(db, SQL_DAILY, start=start, end=end, tz=tz)
    actual = stored_daily(db, start, end)
    assert [r["job_date"] for r in actual] == [r["job_date"] for r in expected]
    for got, want in zip(actual, expected, strict=True):
        assert_same(got, want, EXACT)
        # fewer durations than the accuracy per day: percentile_approx is exact here
        assert got["p50_duration_seconds"] == want["p50_duration_seconds"]
        assert got["p95_duration_seconds"] == want["p95_duration_seconds"]
    expected_models = rows(db, SQL_MODELS, start=start, end=end, tz=tz)
    actual_models = rows(
        db,
        "select * from public.kpi_spark_daily_models where job_date between %(s)s and %(e)s "
        "order by job_date, model",
        s=start,
        e=end,
    )
    assert [(r["job_date"], r["model"]) for r in actual_models] == [
        (r["job_date"], r["model"]) for r in expected_models
    ]
    for got, want in zip(actual_models, expected_models, strict=True):
        assert_same(got, want, EXACT_MODEL)
    return actual


def test_known_answers_and_sql_agree(spark: Any, database_url: str, db, week) -> None:
    db.execute(
        "insert into public.kpi_spark_daily (job_date, jobs_total) values ('2026-10-01', 99)"
    )
    assert (
        run_job(spark, database_url, "--start-date", "2026-11-01", "--end-date", "2026-11-05") == 0
    )

    assert_week_known_answers(assert_matches_sql(db, date(2026, 11, 1), date(2026, 11, 5)))
    untouched = stored_daily(db, date(2026, 10, 1), date(2026, 10, 1))
    assert untouched[0]["jobs_total"] == 99


def assert_week_known_answers(stored: list[dict[str, Any]]) -> None:
    """The `week` fixture's daily KPIs, worked out by hand (also run on the EMR runtime)."""
    daily = {r["job_date"]: r for r in stored}
    nov1, nov2, nov3, nov4 = (daily[date(2026, 11, d)] for d in (1, 2, 3, 4))
    assert (nov1["jobs_total"], nov1["jobs_succeeded"], nov1["jobs_failed"]) == (7, 4, 1)
    assert nov1["jobs_cancelled"] == 1 and nov1["active_users"] == 3
    assert nov1["avg_duration_seconds"] == pytest.approx(70 / 3)  # the unfinished one is out
    assert nov1["p50_duration_seconds"] == 20 and nov1["p95_duration_seconds"] == 40
    assert nov1["success_rate"] == pytest.approx(4 / 6)
    assert nov1["cost_usd"] == Decimal("2.0000")
    assert nov2["jobs_failed"] == 2 and nov2["success_rate"] == 0.0
    assert nov2["avg_duration_seconds"] is None and nov2["cost_usd"] == 0
    assert nov3["jobs_total"] == 0 and nov3["success_rate"] is None
    assert nov3["active_users"] == 0 and nov3["p50_duration_seconds"] is None
    assert nov4["active_users"] == 1 and nov4["jobs_total"] == 2  # ada, active on two days
    assert nov4["p95_duration_seconds"] == 1200  # a late finish counts on its creation day


def test_rerun_over_overlapping_window_replaces_only_its_days(
    spark: Any, database_url: str, db, week
) -> None:
    assert (
        run_job(spark, database_url, "--start-date", "2026-11-01", "--end-date", "2026-11-03") == 0
    )
    before = {r["job_date"]: r for r in stored_daily(db, date(2026, 11, 1), date(2026, 11, 3))}
    # new facts: Kling's only Nov 2 job is deleted, a job appears on Nov 3
    db.execute(
        "delete from public.jobs where model = %s and created_at::date = '2026-11-02'", (KLING,)
    )
    add_job(db, user_id=week["cy"], created_at=at(3, 7), duration=9)

    assert (
        run_job(spark, database_url, "--start-date", "2026-11-02", "--end-date", "2026-11-04") == 0
    )
    after = assert_matches_sql(db, date(2026, 11, 2), date(2026, 11, 4))
    assert [r["job_date"] for r in after] == [date(2026, 11, d) for d in (2, 3, 4)]
    assert after[1]["jobs_total"] == 1
    nov1 = stored_daily(db, date(2026, 11, 1), date(2026, 11, 1))[0]
    assert nov1 == before[date(2026, 11, 1)]  # outside the window: not even updated_at moved
    (count,) = db.execute("select count(*) from public.kpi_spark_daily").fetchone()
    assert count == 4  # no duplicates
    models_nov2 = db.execute(
        "select model from public.kpi_spark_daily_models where job_date = '2026-11-02'"
    ).fetchall()
    assert models_nov2 == [(LTX,)]  # the stale Kling row of the window is gone

    # the same window again gives the same rows
    assert (
        run_job(spark, database_url, "--start-date", "2026-11-02", "--end-date", "2026-11-04") == 0
    )
    again = stored_daily(db, date(2026, 11, 2), date(2026, 11, 4))
    strip = [{k: v for k, v in r.items() if k != "updated_at"} for r in again]
    assert strip == [{k: v for k, v in r.items() if k != "updated_at"} for r in after]


def test_time_zone_moves_jobs_to_their_local_day(spark: Any, database_url: str, db) -> None:
    user = make_user(db)
    add_job(db, user_id=user, created_at=at(2, 23, 30))  # Nov 3, 00:30 in Paris
    add_job(db, user_id=user, created_at=at(3, 10))
    args = ("--start-date", "2026-11-02", "--end-date", "2026-11-03")
    assert run_job(spark, database_url, *args, "--time-zone", "Europe/Paris") == 0
    daily = assert_matches_sql(db, date(2026, 11, 2), date(2026, 11, 3), tz="Europe/Paris")
    assert [r["jobs_total"] for r in daily] == [0, 2]


def test_dry_run_writes_nothing_and_logs_a_summary(
    spark: Any, database_url: str, db, week, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="videogen.kpis.job")
    args = ("--start-date", "2026-11-01", "--end-date", "2026-11-02", "--dry-run")
    assert run_job(spark, database_url, *args) == 0
    assert db.execute("select count(*) from public.kpi_spark_daily").fetchone() == (0,)
    record = next(r for r in caplog.records if getattr(r, "event", "") == "kpi_run_summary")
    summary = json.loads(JsonFormatter().format(record))
    assert summary["rows_read"] == 9 and summary["dry_run"] is True
    assert summary["window_start"] == "2026-11-01" and summary["window_end"] == "2026-11-02"
    assert summary["duration_seconds"] > 0


@pytest.mark.parametrize(
    "args",
    [
        ["--start-date", "2026-11-05", "--end-date", "2026-11-01"],
        ["--start-date", "2026-13-01"],
        ["--days", "3", "--start-date", "2026-11-01"],
        ["--days", "0"],
        ["--time-zone", "Mars/Olympus"],
        ["--start-date", "2000-01-01", "--end-date", "2026-11-01"],
    ],
)
def test_bad_arguments_exit_2(args: list[str], database_url: str) -> None:
    assert kpi_job.main([*args, "--jdbc-url", database_url], spark=object()) == 2


def test_unreachable_database_fails_with_exit_1(
    spark: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:1/nowhere"
    assert kpi_job.main(["--days", "1", "--jdbc-url", url], spark=spark) == 1
    failed = [r for r in caplog.records if getattr(r, "event", "") == "kpi_run_failed"]
    assert failed and failed[0].levelname == "ERROR"
    assert "s3cret-pw" not in caplog.text


def test_days_window_ends_today() -> None:
    options = kpi_job.parse_args(["--days", "2", "--jdbc-url", "postgresql://u:pw@h:5432/db"])
    today = datetime.now(UTC).date()
    assert (options.start, options.end) == (today - timedelta(days=1), today)
    assert options.jdbc.url == "jdbc:postgresql://h:5432/db?prepareThreshold=0"
    assert (options.jdbc.user, options.jdbc.password) == ("u", "pw")
