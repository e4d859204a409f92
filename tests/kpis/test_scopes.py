"""KPIs per school and per class (issue 16): the same Spark job, checked against plain SQL
over the same rows, plus hand-worked answers; re-runs replace only the window's rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import kpi_job
import psycopg
import pytest

from tests.kpis.conftest import at, blocked
from tests.kpis.test_job import assert_same, rows
from videogen.kpis import definitions as kpi

pytestmark = pytest.mark.spark

# Plain SQL, written independently of the Spark job: one query per scope, `keys` its columns.
# The day is the school's (schools.time_zone); spend is cost_estimate_usd of completed jobs.
SQL_SCOPE = """
with j as (
  select (j.created_at at time zone s.time_zone)::date as job_date, j.*
  from public.jobs j join public.schools s on s.id = j.school_id
), e as (
  select (e.created_at at time zone s.time_zone)::date as job_date, e.school_id, e.class_id
  from public.safety_events e join public.schools s on s.id = e.school_id
), jk as (
  select job_date, {keys},
    count(*) as jobs_total,
    count(*) filter (where status = 'completed') as jobs_succeeded,
    count(*) filter (where status = 'failed') as jobs_failed,
    count(*) filter (where status = 'cancelled') as jobs_cancelled,
    count(distinct user_id) as active_users,
    percentile_disc(0.5) within group (order by duration_seconds)
      filter (where status = 'completed') as p50_duration_seconds,
    percentile_disc(0.95) within group (order by duration_seconds)
      filter (where status = 'completed') as p95_duration_seconds,
    coalesce(sum(cost_estimate_usd) filter (where status = 'completed'), 0) as spend_usd
  from j where class_id is not null or %(school)s
  group by job_date, {keys}
), ek as (
  select job_date, {keys}, count(*) as blocked_prompts
  from e where class_id is not null or %(school)s
  group by job_date, {keys}
)
select job_date, {keys},
  coalesce(jobs_total, 0) as jobs_total, coalesce(jobs_succeeded, 0) as jobs_succeeded,
  coalesce(jobs_failed, 0) as jobs_failed, coalesce(jobs_cancelled, 0) as jobs_cancelled,
  coalesce(active_users, 0) as active_users, p50_duration_seconds, p95_duration_seconds,
  coalesce(spend_usd, 0) as spend_usd, coalesce(blocked_prompts, 0) as blocked_prompts
from jk full join ek using (job_date, {keys})
where job_date between %(start)s and %(end)s
order by job_date, {keys}
"""
TABLES = {"school": "kpi_school_daily", "class": "kpi_class_daily"}
KEYS = {"school": "school_id", "class": "school_id, class_id"}


def expected(db: psycopg.Connection, scope: str, start: date, end: date) -> list[dict[str, Any]]:
    sql = SQL_SCOPE.format(keys=KEYS[scope])
    return rows(db, sql, start=start, end=end, school=scope == "school")


def stored(db: psycopg.Connection, scope: str, start: date, end: date) -> list[dict[str, Any]]:
    return rows(
        db,
        f"select * from public.{TABLES[scope]} where job_date between %(s)s and %(e)s "
        f"order by job_date, {KEYS[scope]}",
        s=start,
        e=end,
    )


def assert_scopes_match_sql(db: psycopg.Connection, start: date, end: date) -> dict[str, Any]:
    """Every per-school and per-class figure equals plain SQL's (percentiles too: fewer
    durations than the accuracy, so percentile_approx is exact)."""
    found = {}
    for scope in ("school", "class"):
        want, got = expected(db, scope, start, end), stored(db, scope, start, end)
        key = KEYS[scope].split(", ")
        assert [[r["job_date"], *(r[k] for k in key)] for r in got] == [
            [r["job_date"], *(r[k] for k in key)] for r in want
        ], scope
        for actual, reference in zip(got, want, strict=True):
            assert_same(actual, reference, list(kpi.SCOPE_COLUMNS))
        found[scope] = got
    return found


def run(spark: Any, database_url: str, start: str, end: str, *extra: str) -> int:
    args = ["--start-date", start, "--end-date", end, "--jdbc-url", database_url, *extra]
    return kpi_job.main([*args, "--num-partitions", "3"], spark=spark)


def by_key(found: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {(r["job_date"].day, *(r[k] for k in keys)): r for r in found}


def test_per_school_and_per_class_kpis_match_sql_and_known_answers(
    spark: Any, database_url: str, db: psycopg.Connection, campus: dict[str, Any]
) -> None:
    assert run(spark, database_url, "2026-11-01", "2026-11-03") == 0
    found = assert_scopes_match_sql(db, date(2026, 11, 1), date(2026, 11, 3))

    schools = by_key(found["school"], "school_id")
    north1 = schools[(1, campus["north"])]
    assert (north1["jobs_total"], north1["jobs_succeeded"], north1["jobs_failed"]) == (5, 3, 1)
    assert north1["jobs_cancelled"] == 1 and north1["active_users"] == 2
    assert (north1["p50_duration_seconds"], north1["p95_duration_seconds"]) == (30, 50)
    assert str(north1["spend_usd"]) == "1.9000" and north1["blocked_prompts"] == 2
    north2 = schools[(2, campus["north"])]
    assert north2["jobs_total"] == 2 and str(north2["spend_usd"]) == "0.6000"  # no-class job in
    north3 = schools[(3, campus["north"])]
    assert north3["jobs_total"] == 1 and north3["jobs_succeeded"] == 1  # 23:30 UTC, still Nov 3
    # Auckland's days: Nov 1 20:00 UTC and Nov 2 09:00/10:00 UTC are all Nov 2 there
    assert (1, campus["south"]) not in schools
    south2 = schools[(2, campus["south"])]
    assert (south2["jobs_total"], south2["jobs_failed"], south2["active_users"]) == (3, 1, 1)
    assert str(south2["spend_usd"]) == "1.2000"  # the deleted account's job still spent
    south3 = schools[(3, campus["south"])]
    assert (south3["jobs_total"], south3["blocked_prompts"]) == (0, 1)  # refused prompts only
    assert south3["p50_duration_seconds"] is None and str(south3["spend_usd"]) == "0.0000"

    classes = by_key(found["class"], "class_id")
    assert set(classes) == {
        (1, campus["art"]),
        (2, campus["maths"]),
        (2, campus["drama"]),
    }
    art1 = classes[(1, campus["art"])]
    assert art1["school_id"] == campus["north"] and art1["blocked_prompts"] == 2
    assert art1["jobs_total"] == 5 and str(art1["spend_usd"]) == "1.9000"
    assert classes[(2, campus["maths"])]["jobs_total"] == 1  # the no-class job is not here
    assert classes[(2, campus["drama"])]["jobs_total"] == 3

    # the deployment-wide tables keep their meaning: UTC days over every job
    daily = {r["job_date"].day: r for r in rows(db, "select * from public.kpi_spark_daily")}
    assert [daily[d]["jobs_total"] for d in (1, 2, 3)] == [6, 4, 2]


def test_rerun_replaces_only_the_window_rows_of_schools_and_classes(
    spark: Any, database_url: str, db: psycopg.Connection, campus: dict[str, Any]
) -> None:
    assert run(spark, database_url, "2026-11-01", "2026-11-03") == 0
    before = stored(db, "school", date(2026, 11, 1), date(2026, 11, 1))
    # Maths' only job goes; a blocked prompt arrives for Drama on Nov 3 (Auckland)
    db.execute("delete from public.jobs where class_id = %s", (campus["maths"],))
    blocked(db, campus["south"], campus["drama"], None, at(2, 13))

    assert run(spark, database_url, "2026-11-02", "2026-11-03") == 0
    found = assert_scopes_match_sql(db, date(2026, 11, 2), date(2026, 11, 3))
    classes = by_key(found["class"], "class_id")
    assert (2, campus["maths"]) not in classes  # its stale row of the window is gone
    assert classes[(3, campus["drama"])]["blocked_prompts"] == 1
    # outside the window: not even updated_at moved
    assert stored(db, "school", date(2026, 11, 1), date(2026, 11, 1)) == before

    # the same window again: the same rows
    strip = ("updated_at",)
    again = run(spark, database_url, "2026-11-02", "2026-11-03")
    assert again == 0
    for scope in ("school", "class"):
        now = stored(db, scope, date(2026, 11, 2), date(2026, 11, 3))
        assert [{k: v for k, v in r.items() if k not in strip} for r in now] == [
            {k: v for k, v in r.items() if k not in strip} for r in found[scope]
        ]


def test_parquet_is_partitioned_by_day_and_school_and_reruns_drop_stale_schools(
    spark: Any, database_url: str, db: psycopg.Connection, campus: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "kpis"
    assert run(spark, database_url, "2026-11-01", "2026-11-03", "--output-path", out.as_uri()) == 0
    north, south = (f"school_id={campus[s]}" for s in ("north", "south"))
    schools = {p.relative_to(out / "schools").as_posix() for p in out.glob("schools/*/*")}
    assert schools == {
        f"job_date=2026-11-01/{north}",
        f"job_date=2026-11-02/{north}",
        f"job_date=2026-11-02/{south}",
        f"job_date=2026-11-03/{north}",
        f"job_date=2026-11-03/{south}",
    }
    for partition in [*out.glob("schools/*/*"), *out.glob("classes/*/*")]:
        files = [f.name for f in partition.iterdir()]
        assert len(files) == 1 and files[0].endswith(".parquet"), (partition, files)
    read = spark.read.parquet(str(out / "classes")).collect()
    assert sorted(r["jobs_total"] for r in read) == [1, 3, 5]

    # North's Nov 2 jobs go: its Nov 2 partition goes, South's stays
    db.execute(
        "delete from public.jobs where school_id = %s and created_at::date = '2026-11-02'",
        (campus["north"],),
    )
    assert run(spark, database_url, "2026-11-02", "2026-11-02", "--output-path", out.as_uri()) == 0
    assert not (out / "schools" / "job_date=2026-11-02" / north).exists()
    assert (out / "schools" / "job_date=2026-11-02" / south).exists()
    assert (out / "schools" / "job_date=2026-11-01" / north).exists()  # outside: untouched
    assert not (out / "classes" / "job_date=2026-11-02" / north).exists()


def test_repointing_spend_is_one_definition() -> None:
    """Spend is read from one column of the job row, in SPENDING states: the job reads that
    column, and both the deployment-wide and the per-scope figures use `kpi.spend`."""
    assert kpi.SPEND_COLUMN in kpi.SOURCE_COLUMNS
    source = Path(kpi.__file__).read_text()
    assert source.count('"cost_estimate_usd"') == 1  # SPEND_COLUMN's value, nowhere else


def test_s3_upload_keeps_the_school_partitions(
    spark: Any, database_url: str, campus: dict[str, Any], s3_server: str
) -> None:
    """Through an S3-compatible endpoint (staged, then boto3): the keys carry both
    partition levels, and a stale school partition of a window day is removed."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="kpis")
    stale = "out/schools/job_date=2026-11-01/school_id=gone/part-0.parquet"
    s3.put_object(Bucket="kpis", Key=stale, Body=b"x")
    out = ("--output-path", "s3://kpis/out", "--s3-endpoint-url", s3_server)
    assert run(spark, database_url, "2026-11-01", "2026-11-03", *out) == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="kpis")["Contents"]}
    assert stale not in keys
    north = f"out/schools/job_date=2026-11-01/school_id={campus['north']}/"
    assert any(k.startswith(north) and k.endswith(".parquet") for k in keys), keys
    art = f"out/classes/job_date=2026-11-01/school_id={campus['north']}/"
    assert any(k.startswith(art) and k.endswith(".parquet") for k in keys), keys
