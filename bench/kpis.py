"""KPI benchmark: the Spark job next to plain SQL in Postgres and in DuckDB, on the same data.

    .venv/bin/python bench/kpis.py --sizes 1000000 10000000 --days 365
    .venv/bin/python bench/kpis.py --sizes 1000000 --days 365 --schools 200 --scopes-only

Issue 16 (`--scopes-only`): the job with its per-school and per-class KPIs against today's
job (the deployment-wide datasets only: `deployment_only_run`, the code path before
issue 16, minus the scopes) round after round in the same process, full history and one
day (incremental), and the per-school and per-class KPIs as plain SQL in Postgres on the
same rows.

For each size: generates that many jobs (over `--days` days, `--users` users) in a fresh
embedded Postgres, then times
- the Spark job's whole run over all history (read, aggregate, write Postgres + Parquet),
  each next to a dry run of the same job (read + aggregate only), `--rounds` times;
- the Spark aggregation alone, on the jobs already cached in memory;
- `--naive`: the single-groupBy version (countDistinct next to percentile_approx);
- the same KPIs as one SQL query in Postgres, and in DuckDB (after a CSV export, timed apart);
- a one-day incremental run against the full-history run.
Prints one JSON object per measurement and a Markdown table at the end (docs/performance.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "emr"))

import kpi_job
import psycopg

from videogen.db.migrations import migrate
from videogen.kpis import definitions as kpi
from videogen.kpis.jdbc import to_jdbc
from videogen.local.postgres import EmbeddedPostgres, free_port

LAST_DAY = date(2026, 11, 24)
RESULTS: list[dict[str, Any]] = []

GENERATE = """
insert into public.jobs (user_id, school_id, class_id, model, prompt, status,
                         cost_estimate_usd, created_at, submitted_at, finished_at)
select u.id, u.school_id, u.class_id, m.model, 'bench', s.status, m.cost, c.created_at,
       c.created_at + interval '2 seconds',
       case when s.status in ('completed', 'failed', 'cancelled')
            then c.created_at + interval '2 seconds' + (5 + (g %% 600)) * interval '1 second' end
from generate_series(%(first)s::bigint, %(last)s::bigint) g
cross join lateral (select %(start)s::timestamptz
                    + (hashint8(g) & 2147483647) %% (%(days)s * 86400) * interval '1 second'
                    as created_at) c
cross join lateral (select case (hashint8(g + 1) & 2147483647) %% 20
                      when 0 then 'failed' when 1 then 'cancelled' when 2 then 'in_progress'
                      else 'completed' end as status) s
cross join lateral (select (array['fal-ai/ltx-video', 'fal-ai/veo3', 'fal-ai/wan-t2v',
                      'fal-ai/kling-video/v2.1/master/text-to-video'])[1 + g %% 4] as model,
                    (0.1 + (g %% 4) * 0.4)::numeric(10, 4) as cost) m
join bench_users u on u.n = (hashint8(g + 2) & 2147483647) %% %(users)s
"""

SQL_KPIS = """
with j as (select (created_at at time zone 'UTC')::date as job_date, * from public.jobs
           where created_at >= %(low)s and created_at < %(high)s)
select job_date, count(*), count(*) filter (where status = 'completed'),
  count(*) filter (where status = 'failed'), count(*) filter (where status = 'cancelled'),
  count(distinct user_id),
  avg(duration_seconds) filter (where status = 'completed'),
  percentile_disc(array[0.5, 0.95]) within group (order by duration_seconds)
    filter (where status = 'completed'),
  (count(*) filter (where status = 'completed'))::float8
    / nullif(count(*) filter (where status in ('completed', 'failed', 'cancelled')), 0),
  coalesce(sum(cost_estimate_usd) filter (where status = 'completed'), 0)
from j group by job_date order by job_date
"""

DUCK_KPIS = """
select cast(created_at as date) as job_date, count(*),
  count(*) filter (where status = 'completed'), count(*) filter (where status = 'failed'),
  count(*) filter (where status = 'cancelled'), count(distinct user_id),
  avg(duration_seconds) filter (where status = 'completed'),
  quantile_disc(duration_seconds, [0.5, 0.95]) filter (where status = 'completed'),
  (count(*) filter (where status = 'completed'))::double
    / nullif(count(*) filter (where status in ('completed', 'failed', 'cancelled')), 0),
  coalesce(sum(cost_estimate_usd) filter (where status = 'completed'), 0)
from jobs group by 1 order by 1
"""


# Refused prompts: one per `--blocked-every` jobs, spread like the jobs.
GENERATE_EVENTS = """
insert into public.safety_events (school_id, class_id, user_id, rule, prompt, created_at)
select u.school_id, u.class_id, u.id, 'blocklist:bench', 'bench',
       %(start)s::timestamptz + (hashint8(g + 7) & 2147483647) %% (%(days)s * 86400)
         * interval '1 second'
from generate_series(1, %(events)s::bigint) g
join bench_users u on u.n = (hashint8(g + 3) & 2147483647) %% %(users)s
"""

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
CLASSES_PER_SCHOOL = 5

# The per-school and per-class KPIs as plain SQL (the tests' reference, tests/kpis/test_scopes.py)
SQL_SCOPE = """
with j as (
  select (j.created_at at time zone s.time_zone)::date as job_date, j.*
  from public.jobs j join public.schools s on s.id = j.school_id
  where j.created_at >= %(low)s and j.created_at < %(high)s
), e as (
  select (e.created_at at time zone s.time_zone)::date as job_date, e.school_id, e.class_id
  from public.safety_events e join public.schools s on s.id = e.school_id
  where e.created_at >= %(low)s and e.created_at < %(high)s
), jk as (
  select job_date, {keys}, count(*) as jobs_total,
    count(*) filter (where status = 'completed') as jobs_succeeded,
    count(*) filter (where status = 'failed') as jobs_failed,
    count(*) filter (where status = 'cancelled') as jobs_cancelled,
    count(distinct user_id) as active_users,
    percentile_disc(array[0.5, 0.95]) within group (order by duration_seconds)
      filter (where status = 'completed') as percentiles,
    coalesce(sum(cost_estimate_usd) filter (where status = 'completed'), 0) as spend_usd
  from j where {present} group by job_date, {keys}
), ek as (
  select job_date, {keys}, count(*) as blocked_prompts from e where {present}
  group by job_date, {keys}
)
select * from jk full join ek using (job_date, {keys})
where job_date between %(start)s and %(end)s
"""
SCOPE_SQL = {
    "school": SQL_SCOPE.format(keys="school_id", present="true"),
    "class": SQL_SCOPE.format(keys="school_id, class_id", present="class_id is not null"),
}


def record(size: int, what: str, seconds: float, **extra: Any) -> None:
    entry = {"rows": size, "what": what, "seconds": round(seconds, 2), **extra}
    RESULTS.append(entry)
    print(json.dumps(entry), flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    value = fn()
    return time.monotonic() - started, value


def generate(url: str, size: int, days: int, users: int, schools: int, blocked_every: int) -> None:
    """`size` jobs over `days` days and `users` users in `schools` schools (five classes
    each, time zones mixed; each user in one class), and a refused prompt per
    `blocked_every` jobs."""
    start = LAST_DAY - timedelta(days=days - 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "truncate public.jobs, public.safety_events, public.kpi_spark_daily, "
            "public.kpi_spark_daily_models, public.kpi_school_daily, public.kpi_class_daily "
            "cascade"
        )
        conn.execute("delete from public.schools where name like 'Bench %%'")
        conn.execute(
            "insert into public.schools (name, time_zone) select 'Bench ' || n, "
            "(%s::text[])[1 + n %% %s] from generate_series(0, %s - 1) n",
            (list(ZONES), len(ZONES), schools),
        )
        conn.execute(
            "insert into public.classes (school_id, name) select s.id, 'Class ' || c "
            "from public.schools s cross join generate_series(0, %s - 1) c "
            "where s.name like 'Bench %%'",
            (CLASSES_PER_SCHOOL,),
        )
        conn.execute("drop table if exists bench_users")
        conn.execute(
            "create table bench_users (n int primary key, id uuid not null, school_id uuid, "
            "class_id uuid)"
        )
        conn.execute(
            "insert into auth.users (id, email) select gen_random_uuid(), 'bench' || n "
            "|| '@school.example' from generate_series(0, %s - 1) n "
            "on conflict do nothing",
            (users,),
        )
        conn.execute(
            """with u as (select row_number() over (order by id) - 1 as n, id from auth.users
                          where email like 'bench%%' limit %(users)s),
                    s as (select row_number() over (order by id) - 1 as k, id from public.schools
                          where name like 'Bench %%'),
                    c as (select school_id, row_number() over (partition by school_id
                            order by id) - 1 as k, id from public.classes)
               insert into bench_users
               select u.n, u.id, s.id, c.id from u
               join s on s.k = u.n %% %(schools)s
               join c on c.school_id = s.id and c.k = (u.n / %(schools)s) %% %(classes)s""",
            {"users": users, "schools": schools, "classes": CLASSES_PER_SCHOOL},
        )
        conn.execute(
            "update public.profiles p set school_id = b.school_id from bench_users b "
            "where b.id = p.id"
        )
        batch = 1_000_000
        for first in range(0, size, batch):
            conn.execute(
                GENERATE,
                {
                    "first": first,
                    "last": min(first + batch, size) - 1,
                    "start": f"{start.isoformat()} 00:00:00+00",
                    "days": days,
                    "users": users,
                },
            )
        conn.execute(
            GENERATE_EVENTS,
            {
                "start": f"{start.isoformat()} 00:00:00+00",
                "days": days,
                "users": users,
                "events": max(1, size // blocked_every),
            },
        )
        conn.execute("vacuum analyze public.jobs")
        conn.execute("vacuum analyze public.safety_events")


def read_jobs_only(spark: Any, options: Any) -> Any:
    """Today's read (before issue 16): the window's jobs alone, in parallel slices."""
    from pyspark.sql import functions as F

    low, high = kpi.read_bounds(options.start, options.end)
    subquery = (
        f"(select {', '.join(kpi.SOURCE_COLUMNS)} from public.jobs "
        f"where created_at >= timestamptz '{low.isoformat()} 00:00:00+00' "
        f"and created_at < timestamptz '{high.isoformat()} 00:00:00+00') as jobs_window"
    )
    jobs = (
        spark.read.format("jdbc")
        .option("url", options.jdbc.url)
        .option("driver", "org.postgresql.Driver")
        .option("dbtable", subquery)
        .option("partitionColumn", "created_at")
        .option("lowerBound", f"{low.isoformat()} 00:00:00")
        .option("upperBound", f"{high.isoformat()} 00:00:00")
        .option("numPartitions", str(options.num_partitions))
        .option("fetchsize", str(options.fetch_size))
        .options(**options.jdbc.properties())
        .load()
    )
    return jobs.withColumn("job_date", kpi.job_date(F.col("created_at"), options.time_zone)).where(
        kpi_job.in_window(options)
    )


def deployment_only_run(spark: Any, options: Any) -> dict[str, Any]:
    """Today's job, as it ran before issue 16: read the jobs, the deployment-wide daily and
    per-model KPIs, both written (Postgres in one transaction, Parquet by day): the code
    path of the job before issue 16 (cache, count, `daily_kpis` and `model_kpis`), with the
    writers `kpi_job.run` uses, and without the schools' time zones, the refused prompts and
    the per-school and per-class datasets: the baseline the scopes are measured against.
    `kpi_job.run` now computes all four datasets in one pass (`kpi.window_kpis`)."""
    from kpi_io import write_parquet, write_postgres

    started = time.monotonic()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    days = kpi.window_days(options.start, options.end)
    jobs = read_jobs_only(spark, options).cache()
    try:
        jobs.count()
        daily = kpi.daily_kpis(jobs, days, spark)
        models = kpi.model_kpis(jobs)
        daily_rows = sorted((r.asDict() for r in daily.collect()), key=lambda r: r["job_date"])
        model_rows = sorted(
            (r.asDict() for r in models.collect()), key=lambda r: (r["job_date"], r["model"])
        )
        write_postgres(
            spark,
            options.jdbc,
            options.start,
            options.end,
            {"daily": daily_rows, "models": model_rows},
        )
        if options.output_path:
            write_parquet(
                spark,
                {"daily": (daily_rows, daily.schema), "models": (model_rows, models.schema)},
                options.output_path,
                days,
            )
    finally:
        jobs.unpersist()
    return {"duration_seconds": round(time.monotonic() - started, 3)}


def bench_scopes(spark: Any, url: str, size: int, args: argparse.Namespace, out: Path) -> None:
    """Issue 16: the job with the scopes against today's (deployment-wide only), full
    history and one day, alternating within each round; then Postgres SQL."""
    first = LAST_DAY - timedelta(days=args.days - 1)
    jdbc = to_jdbc(url)
    windows = {
        "full history": (first, LAST_DAY),
        "one day (incremental)": (LAST_DAY, LAST_DAY),
    }
    for label, (start, end) in windows.items():
        ratios = []
        for attempt in range(1, args.rounds + 1):
            options = kpi_job.JobOptions(
                start=start,
                end=end,
                jdbc=jdbc,
                output_path=(out / f"parquet-{size}-{attempt}").as_uri(),
                num_partitions=args.partitions,
            )
            today = deployment_only_run(spark, options)
            record(
                size,
                f"today's job (deployment-wide only), {label}",
                today["duration_seconds"],
                attempt=attempt,
            )
            scoped = kpi_job.run(spark, options)
            record(
                size,
                f"job with per-school and per-class KPIs, {label}",
                scoped["duration_seconds"],
                attempt=attempt,
                phases=scoped["phase_seconds"],
                school_rows=scoped["school_rows_written"],
                class_rows=scoped["class_rows_written"],
            )
            if attempt > 1 or args.rounds == 1:
                ratios.append(scoped["duration_seconds"] / today["duration_seconds"])
        record(
            size, f"with scopes / today's, {label}, median of rounds 2+", statistics.median(ratios)
        )

    low = f"{(first - timedelta(days=1)).isoformat()} 00:00:00+00"
    high = f"{(LAST_DAY + timedelta(days=2)).isoformat()} 00:00:00+00"
    params = {"low": low, "high": high, "start": first, "end": LAST_DAY}
    with psycopg.connect(url) as conn:
        for attempt in (1, 2):
            seconds, rows = timed(lambda: conn.execute(SQL_KPIS, params).fetchall())
            record(size, "postgres SQL, deployment-wide KPIs", seconds, attempt=attempt)
            for scope, sql in SCOPE_SQL.items():
                seconds, rows = timed(lambda sql=sql: conn.execute(sql, params).fetchall())
                record(
                    size,
                    f"postgres SQL, per-{scope} KPIs",
                    seconds,
                    result_rows=len(rows),
                    attempt=attempt,
                )


def spark_session(local_fs: str) -> Any:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if local_fs == "nio":
        if not kpi_job.LOCAL_FS_JAR.is_file():
            raise SystemExit(f"{kpi_job.LOCAL_FS_JAR} is missing: run `make localfs`")
        for key, value in kpi_job.local_filesystem_conf().items():
            builder = builder.config(key, value)
    session = (
        builder.master("local[*]")
        .appName("videogen-kpi-bench")
        .config("spark.jars", "/usr/share/java/postgresql.jar")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "6g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def naive_daily(jobs: Any) -> Any:
    """The slow shape: countDistinct in the same aggregation as percentile_approx."""
    from pyspark.sql import functions as F

    done = F.col("status") == "completed"
    return jobs.groupBy("job_date").agg(
        F.count(F.lit(1)),
        F.countDistinct("user_id"),
        F.percentile_approx(
            F.when(done, F.col("duration_seconds")), [0.5, 0.95], kpi.PERCENTILE_ACCURACY
        ),
        F.avg(F.when(done, F.col("duration_seconds"))),
    )


def bench_size(spark: Any, url: str, size: int, args: argparse.Namespace, out: Path) -> None:
    seconds, _ = timed(
        lambda: generate(url, size, args.days, args.users, args.schools, args.blocked_every)
    )
    record(size, "generate rows in Postgres", seconds, schools=args.schools)
    if args.scopes_only:
        bench_scopes(spark, url, size, args, out)
        return
    first = LAST_DAY - timedelta(days=args.days - 1)
    jdbc = to_jdbc(url)
    full = kpi_job.JobOptions(
        start=first,
        end=LAST_DAY,
        jdbc=jdbc,
        output_path=(out / f"parquet-{size}").as_uri(),
        num_partitions=args.partitions,
    )
    one_day = kpi_job.JobOptions(
        start=LAST_DAY, end=LAST_DAY, jdbc=jdbc, output_path=full.output_path
    )

    # Whole run and dry run (the same job's read + aggregate, nothing written) side by side,
    # round after round: on a shared machine the load moves, so each ratio compares two runs
    # a few seconds apart. Round 1 also warms the JVM up.
    dry = dataclasses.replace(full, dry_run=True)
    ratios = []
    for attempt in range(1, args.rounds + 1):
        whole = kpi_job.run(spark, full)
        record(
            size,
            "spark job, whole run, full history",
            whole["duration_seconds"],
            days=args.days,
            attempt=attempt,
            phases=whole["phase_seconds"],
        )
        bare = kpi_job.run(spark, dry)
        record(
            size,
            "spark job, dry run (read + aggregate, no write)",
            bare["duration_seconds"],
            attempt=attempt,
            phases=bare["phase_seconds"],
        )
        if attempt > 1:
            ratios.append(whole["duration_seconds"] / bare["duration_seconds"])
    if ratios:
        record(size, "whole run / dry run, median of rounds 2+", statistics.median(ratios))
    summary = kpi_job.run(spark, one_day)
    record(
        size,
        "spark job, whole run, one day (incremental)",
        summary["duration_seconds"],
        phases=summary["phase_seconds"],
    )

    sources = kpi_job.read_sources(spark, full)
    jobs = sources.where(~sources["refused"] & kpi_job.in_window(full)).cache()
    seconds, rows_read = timed(jobs.count)
    record(size, "spark JDBC read + cache", seconds, partitions=args.partitions, read=rows_read)
    days = kpi.window_days(first, LAST_DAY)
    for attempt in (1, 2):
        seconds, _ = timed(
            lambda: (kpi.daily_kpis(jobs, days, spark).collect(), kpi.model_kpis(jobs).collect())
        )
        record(size, "spark aggregation alone (cached input)", seconds, attempt=attempt)
    if args.naive and size <= args.naive_max_rows:
        seconds, _ = timed(naive_daily(jobs).collect)
        record(size, "spark naive single groupBy with countDistinct", seconds)
    jobs.unpersist()

    low = f"{first.isoformat()} 00:00:00+00"
    high = f"{(LAST_DAY + timedelta(days=1)).isoformat()} 00:00:00+00"
    with psycopg.connect(url) as conn:
        for attempt in (1, 2):
            seconds, rows = timed(
                lambda: conn.execute(SQL_KPIS, {"low": low, "high": high}).fetchall()
            )
            record(size, "postgres SQL, same KPIs", seconds, days=len(rows), attempt=attempt)

    if not args.skip_duckdb:
        import duckdb

        csv = out / f"jobs-{size}.csv"
        with psycopg.connect(url) as conn, conn.cursor() as cur, csv.open("wb") as file:
            started = time.monotonic()
            copy = "copy (select user_id, status, created_at, duration_seconds, cost_estimate_usd"
            copy += " from public.jobs) to stdout with (format csv, header)"
            with cur.copy(copy) as stream:
                for chunk in stream:
                    file.write(chunk)
        record(size, "duckdb: export from Postgres (COPY to CSV)", time.monotonic() - started)
        duck = duckdb.connect()
        duck.execute("set timezone = 'UTC'")
        seconds, _ = timed(
            lambda: duck.execute(f"create table jobs as select * from read_csv('{csv}')")
        )
        record(size, "duckdb: load CSV", seconds)
        for attempt in (1, 2):
            seconds, rows = timed(lambda: duck.execute(DUCK_KPIS).fetchall())
            record(size, "duckdb SQL, same KPIs", seconds, days=len(rows), attempt=attempt)
        duck.close()
        csv.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="whole run + dry run pairs (the first warms up)"
    )
    parser.add_argument("--partitions", type=int, default=4, help="JDBC numPartitions")
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--blocked-every", type=int, default=50, help="a refused prompt per N jobs")
    parser.add_argument(
        "--scopes-only",
        action="store_true",
        help="issue 16: the job with per-school/per-class KPIs against today's, and SQL",
    )
    parser.add_argument("--naive", action="store_true", help="also time the slow groupBy")
    parser.add_argument("--naive-max-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--database-url", help="use this Postgres (it is truncated!)")
    parser.add_argument(
        "--local-fs",
        choices=("nio", "hadoop"),
        default="nio",
        help="file:// as the job runs locally (nio, `make localfs`) or Hadoop's own "
        "(a chmod process per file and directory)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kpi-bench-", dir="/tmp") as tmp:
        out = Path(tmp)
        server = None
        url = args.database_url
        if url is None:
            server = EmbeddedPostgres(out / "pg", free_port())
            server.start()
            url = server.create_database("bench")
            migrate(
                url,
                ROOT / "supabase" / "migrations",
                ROOT / "supabase" / "local" / "bootstrap.sql",
            )
        spark = spark_session(args.local_fs)
        print(json.dumps({"local_fs": args.local_fs}), flush=True)
        try:
            for size in args.sizes:
                bench_size(spark, url, size, args, out)
        finally:
            spark.stop()
            if server is not None:
                server.stop()
    print("\n| rows | measurement | seconds |\n| ---: | --- | ---: |")
    for entry in RESULTS:
        print(f"| {entry['rows']:,} | {entry['what']} | {entry['seconds']} |")


if __name__ == "__main__":
    main()
