"""Daily KPI job: reads a window of `public.jobs` over JDBC, writes per-day KPIs.

The same script runs with `spark-submit` (or plain `python`) locally, in `local[*]`, and as
an EMR Serverless job run (arguments arrive as `entryPointArguments`). KPI definitions come
from `videogen.kpis.definitions` (shipped to EMR in the `--py-files` zip).

    python emr/kpi_job.py --days 2 --jdbc-url postgresql://postgres@127.0.0.1:54322/videogen \
        --output-path file:///tmp/kpis

Outputs, both limited to the window (days outside it are never touched):
- Postgres `kpi_spark_daily` and `kpi_spark_daily_models` (deployment-wide, days in
  --time-zone), `kpi_school_daily` and `kpi_class_daily` (days in each school's time zone),
  upserted in one transaction;
- Parquet under `--output-path`: daily/ and models/ partitioned by `job_date`, schools/ and
  classes/ by `job_date` and `school_id` (file://, s3://; S3-compatible
  endpoints such as MinIO through `--s3-endpoint-url`).
Exit code 0 on success, 1 on a failed run, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kpi_io import write_parquet, write_postgres

from videogen.kpis import definitions as kpi
from videogen.kpis.jdbc import JdbcTarget, to_jdbc, trusting
from videogen.logs import configure_logging

logger = logging.getLogger("videogen.kpis.job")

DEFAULT_JDBC_JAR = "/usr/share/java/postgresql.jar"
#: `make localfs`: Hadoop's local filesystem without a `chmod` process per file. (`.parent`
#: twice, never `parents[1]`: on EMR this script may sit one level under the root.)
LOCAL_FS_JAR = Path(__file__).resolve().parent.parent / ".build/localfs/videogen-localfs.jar"
LOCAL_FS_CLASS = "videogen.localfs.NioLocalFileSystem"
MAX_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class JobOptions:
    start: date
    end: date
    jdbc: JdbcTarget | None
    jdbc_url_ssm_parameter: str | None = None
    database_ca_ssm_parameter: str | None = None
    output_path: str | None = None
    time_zone: str = kpi.DEFAULT_TIME_ZONE
    num_partitions: int = 4
    fetch_size: int = 10_000
    s3_endpoint_url: str | None = None
    dry_run: bool = False


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_args(argv: list[str] | None = None) -> JobOptions:
    parser = argparse.ArgumentParser(prog="kpi_job", description="Daily KPIs from public.jobs.")
    parser.add_argument("--start-date", type=_date)
    parser.add_argument("--end-date", type=_date)
    parser.add_argument("--days", type=int, help="the last N days up to today (default 2)")
    parser.add_argument("--output-path", default=os.environ.get("KPI_OUTPUT_PATH") or None)
    parser.add_argument("--jdbc-url", default=os.environ.get("KPI_JDBC_URL"))
    parser.add_argument(
        "--jdbc-url-ssm-parameter",
        help="read the database URL from this SSM SecureString (EMR: keeps it out of the "
        "job run's arguments)",
    )
    parser.add_argument(
        "--database-ca-ssm-parameter",
        help="verify the database's TLS certificate against the PEM CA in this SSM parameter "
        "(production: /videogen/<stage>/database-ca-cert, with sslmode=verify-full)",
    )
    parser.add_argument("--jdbc-user", default=os.environ.get("KPI_JDBC_USER"))
    parser.add_argument("--time-zone", default=os.environ.get("KPI_TIME_ZONE", "UTC"))
    parser.add_argument("--num-partitions", type=int, default=4)
    parser.add_argument("--fetch-size", type=int, default=10_000)
    parser.add_argument("--s3-endpoint-url", default=os.environ.get("KPI_S3_ENDPOINT_URL"))
    parser.add_argument("--dry-run", action="store_true", help="compute and log, write nothing")
    args = parser.parse_args(argv)

    if not args.jdbc_url and not args.jdbc_url_ssm_parameter:
        parser.error("--jdbc-url (or KPI_JDBC_URL) or --jdbc-url-ssm-parameter is required")
    try:
        zone = ZoneInfo(args.time_zone)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd strings
        parser.error(f"unknown time zone: {args.time_zone!r}")
    if args.days is not None and (args.start_date or args.end_date):
        parser.error("give either --days or --start-date/--end-date, not both")
    if args.days is not None or not (args.start_date or args.end_date):
        days = 2 if args.days is None else args.days
        if days < 1:
            parser.error("--days must be at least 1")
        end = datetime.now(zone).date()
        start = end - timedelta(days=days - 1)
    else:
        start = args.start_date or args.end_date
        end = args.end_date or args.start_date
    if start > end:
        parser.error(f"--start-date {start} is after --end-date {end}")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        parser.error(f"the window is longer than {MAX_WINDOW_DAYS} days")
    if args.num_partitions < 1 or args.fetch_size < 1:
        parser.error("--num-partitions and --fetch-size must be positive")
    jdbc = None
    if args.jdbc_url:
        try:
            jdbc = to_jdbc(args.jdbc_url, args.jdbc_user, os.environ.get("KPI_JDBC_PASSWORD"))
        except ValueError as exc:
            parser.error(str(exc))
    return JobOptions(
        start=start,
        end=end,
        jdbc=jdbc,
        jdbc_url_ssm_parameter=args.jdbc_url_ssm_parameter,
        database_ca_ssm_parameter=args.database_ca_ssm_parameter,
        output_path=args.output_path,
        time_zone=args.time_zone,
        num_partitions=args.num_partitions,
        fetch_size=args.fetch_size,
        s3_endpoint_url=args.s3_endpoint_url,
        dry_run=args.dry_run,
    )


def resolve_jdbc(options: JobOptions) -> JobOptions:
    """Fetches the database URL (unless given directly) and the database's CA from SSM.

    The CA goes into the JDBC properties inline (`videogen.kpis.jdbc.trusting`), not into a
    file: the driver and every executor connect, each in its own container on EMR, and the
    properties reach them all with the read itself.
    """
    if options.jdbc is not None and options.database_ca_ssm_parameter is None:
        return options
    import boto3

    ssm = boto3.client("ssm")
    jdbc = options.jdbc
    if jdbc is None:
        parameter = ssm.get_parameter(Name=options.jdbc_url_ssm_parameter, WithDecryption=True)
        jdbc = to_jdbc(parameter["Parameter"]["Value"])
    if options.database_ca_ssm_parameter:
        ca = ssm.get_parameter(Name=options.database_ca_ssm_parameter, WithDecryption=True)
        jdbc = trusting(jdbc, ca["Parameter"]["Value"])
    return replace(options, jdbc=jdbc)


def submitted_by_spark_submit() -> bool:
    """Whether spark-submit (EMR Serverless runs it) started this Python: it hands over its
    JVM gateway in PYSPARK_GATEWAY_PORT, the variable pyspark itself checks
    (pyspark/java_gateway.py, `launch_gateway`). Before the session exists a fresh
    `SparkConf()` cannot see spark-submit's --master or --jars (it has no JVM yet), so it is
    no way to tell: setting `local[*]` then silently overrode EMR's master and kept the
    parallel read off the executors."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_filesystem_conf(jar: Path = LOCAL_FS_JAR) -> dict[str, str]:
    """Spark settings for `file://` in a local run: Hadoop's local filesystem with its
    permissions set in-process (emr/localfs/NioLocalFileSystem.java). Without Hadoop's native
    library, which pip's pyspark lacks, Hadoop runs a `chmod` process for every file and
    directory it creates: most of a full-history Parquet write (docs/performance.md, "Write
    phase"). Empty when the jar is not built (`make localfs`): Hadoop's own filesystem then,
    slower, same files. Local mode only: the driver is the executor, so the driver's class
    path is enough. Never on EMR Serverless: it starts the job with spark-submit
    (https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/jobs-spark.html), so
    `build_session` keeps its settings, and its output is S3 (EMRFS), which has no chmod.
    The Java file links the Hadoop source that spawns the chmod."""
    if not jar.is_file():
        return {}
    return {"spark.driver.extraClassPath": str(jar), "spark.hadoop.fs.file.impl": LOCAL_FS_CLASS}


def build_session():  # -> SparkSession
    """Plain `python kpi_job.py`: `local[*]` with Debian's JDBC jar and the local filesystem
    above. Under spark-submit (EMR, the EMR-runtime test) its master, jars and filesystems
    stand."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("videogen-kpis")
    if not submitted_by_spark_submit():
        builder = builder.master("local[*]")
        if Path(DEFAULT_JDBC_JAR).exists():
            builder = builder.config("spark.jars", DEFAULT_JDBC_JAR)
        for key, value in local_filesystem_conf().items():
            builder = builder.config(key, value)
    builder = builder.config("spark.sql.shuffle.partitions", "8")
    return builder.getOrCreate()


#: SQL types of the job columns a refused prompt lacks (null in its source row).
_NULL_TYPES = {
    "id": "uuid",
    "model": "text",
    "status": "text",
    kpi.SPEND_COLUMN: "numeric",
    "duration_seconds": "double precision",
}


def _sources_query(options: JobOptions) -> str:
    """The jobs and the refused prompts of the read bounds as one relation (`refused` tells
    them apart), each with its school's time zone: one JDBC read, and the
    per-school figures and refused-prompt counts come out of one aggregation."""
    low, high = kpi.read_bounds(options.start, options.end)

    def bounds(alias: str) -> str:
        return (
            f"{alias}.created_at >= timestamptz '{low.isoformat()} 00:00:00+00' "
            f"and {alias}.created_at < timestamptz '{high.isoformat()} 00:00:00+00'"
        )

    jobs = ", ".join(f"j.{c}" for c in kpi.SOURCE_COLUMNS)
    events = ", ".join(
        f"e.{c}" if c in kpi.EVENT_COLUMNS else f"null::{_NULL_TYPES[c]}"
        for c in kpi.SOURCE_COLUMNS
    )
    return (
        f"(select {jobs}, s.time_zone as school_time_zone, false as refused "
        "from public.jobs j left join public.schools s on s.id = j.school_id "
        f"where {bounds('j')} "
        f"union all select {events}, s.time_zone, true "
        "from public.safety_events e join public.schools s on s.id = e.school_id "
        f"where {bounds('e')}) as sources"
    )


def read_sources(spark, options: JobOptions):  # -> DataFrame
    """The jobs and refused prompts of the read bounds (a day's margin each side), read in
    parallel slices of `created_at` (the filter run by Postgres), each row with `job_date`
    (the deployment's day, --time-zone) and `school_date` (its school's day; --time-zone
    for a job of no school). Callers limit them to the window."""
    from pyspark.sql import functions as F

    low, high = kpi.read_bounds(options.start, options.end)
    reader = (
        spark.read.format("jdbc")
        .option("url", options.jdbc.url)
        .option("driver", "org.postgresql.Driver")
        .option("dbtable", _sources_query(options))
        .option("partitionColumn", "created_at")
        .option("lowerBound", f"{low.isoformat()} 00:00:00")
        .option("upperBound", f"{high.isoformat()} 00:00:00")
        .option("numPartitions", str(options.num_partitions))
        .option("fetchsize", str(options.fetch_size))
    )
    # Spark hands every option it does not know to pgjdbc as a connection property, on the
    # driver (schema) and on each executor (its slice): the CA travels with them, inline.
    for key, value in options.jdbc.properties().items():
        reader = reader.option(key, value)
    zone = F.coalesce(F.col("school_time_zone"), F.lit(options.time_zone))
    return (
        reader.load()
        .withColumn("job_date", kpi.job_date(F.col("created_at"), options.time_zone))
        .withColumn("school_date", kpi.job_date(F.col("created_at"), zone))
        .drop("school_time_zone")
    )


def in_window(options: JobOptions, column: str = "job_date"):  # -> Column
    from pyspark.sql import functions as F

    return F.col(column).between(F.lit(options.start), F.lit(options.end))


def split_datasets(rows: list[dict], schema, days: list[date]):  # -> {name: (rows, schema)}
    """The one aggregation's rows (`kpi.window_kpis`) as the four datasets, sorted, each with
    its own columns and the Spark types it always had (daily `active_users` a long, as a
    count; per school and class an int, as `size`). Days of the window with no job get a
    daily row of zeros, as `kpi.daily_kpis` fills them."""
    from decimal import Decimal

    from pyspark.sql.types import LongType, StructField, StructType

    fields = {f.name: f for f in schema.fields}
    columns = {
        "daily": ("job_date", *kpi.DAILY_COLUMNS),
        "models": ("job_date", "model", *kpi.MODEL_COLUMNS),
        "schools": ("job_date", "school_id", *kpi.SCOPE_COLUMNS),
        "classes": ("job_date", "school_id", "class_id", *kpi.SCOPE_COLUMNS),
    }
    grouped: dict[str, list[dict]] = {name: [] for name in columns}
    for row in rows:
        grouped[row["dataset"]].append({c: row[c] for c in columns[row["dataset"]]})
    present = {row["job_date"] for row in grouped["daily"]}
    for day in days:
        if day not in present:
            empty = dict.fromkeys(columns["daily"])
            empty.update(dict.fromkeys(kpi.COUNT_COLUMNS, 0))
            empty.update(job_date=day, cost_usd=Decimal("0.0000"))
            grouped["daily"].append(empty)
    datasets = {}
    for name, names in columns.items():
        keys = [c for c in names if c in ("job_date", "model", "school_id", "class_id")]
        records = sorted(grouped[name], key=lambda r, k=keys: tuple(r[c] or "" for c in k))
        types = StructType(
            [
                StructField(c, LongType(), True)
                if name == "daily" and c == "active_users"
                else fields[c]
                for c in names
            ]
        )
        datasets[name] = (records, types)
    return datasets


class PhaseClock:
    """Wall-clock seconds per phase of a run (read, aggregate, each write), for the summary
    log: where a slow run spends its time, without a Spark UI."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(now - self._last, 3)
        self._last = now


def run(spark, options: JobOptions) -> dict[str, object]:
    """Computes and writes the window's KPIs; returns the run summary."""
    started = time.monotonic()
    assert options.jdbc is not None  # resolve_jdbc ran
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    days = kpi.window_days(options.start, options.end)
    phases = PhaseClock()
    # One pass: the read, the four datasets' aggregation and the collect are one Spark job
    # (no cache, no count): on a one-day window each extra job was mostly fixed cost.
    figures = kpi.window_kpis(read_sources(spark, options), options.start, options.end)
    # Sorted on the driver (a few thousand rows at most): an orderBy would range-partition,
    # and Spark samples for that by running the whole aggregation an extra time.
    datasets = split_datasets([r.asDict() for r in figures.collect()], figures.schema, days)
    rows_read = sum(row["jobs_total"] for row in datasets["daily"][0])
    aggregated = time.monotonic()
    phases.mark("read_aggregate")
    if not options.dry_run:
        write_postgres(
            spark,
            options.jdbc,
            options.start,
            options.end,
            {name: records for name, (records, _) in datasets.items()},
        )
        phases.mark("postgres_write")
        if options.output_path:
            # the results are small: written from the collected rows, not recomputed
            write_parquet(
                spark,
                datasets,
                options.output_path,
                days,
                s3_endpoint_url=options.s3_endpoint_url,
            )
            phases.mark("parquet_write")
    written = {name: 0 if options.dry_run else len(rows) for name, (rows, _) in datasets.items()}
    return {
        "window_start": options.start.isoformat(),
        "window_end": options.end.isoformat(),
        "time_zone": options.time_zone,
        "rows_read": rows_read,
        "days_written": written["daily"],
        "model_rows_written": written["models"],
        "school_rows_written": written["schools"],
        "class_rows_written": written["classes"],
        "output_path": options.output_path,
        "dry_run": options.dry_run,
        # the runtime that really ran (emr/release.json states what EMR should provide)
        "spark_version": spark.version,
        "spark_master": spark.sparkContext.master,
        "python_version": platform.python_version(),
        "ansi_mode": spark.conf.get("spark.sql.ansi.enabled"),
        "aggregation_seconds": round(aggregated - started, 3),
        "phase_seconds": phases.seconds,
        "duration_seconds": round(time.monotonic() - started, 3),
    }


def failure_cause(exc: BaseException) -> str:
    """Why the run failed, in one line for the failure log (the traceback follows it).

    For a JVM error (py4j's Py4JJavaError, or pyspark's converted exceptions, whose messages
    say only "Couldn't connect to the database") the first pgjdbc exception in the Java cause
    chain, e.g. `PSQLException: SSL error: PKIX path building failed…` for a server
    certificate the trusted CA did not sign. pgjdbc and boto3 messages name hosts, users and
    parameters, never passwords (those travel as connection properties).
    """
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    text = f"{type(exc).__name__}: {exc}"
    seen = 0
    while java is not None and seen < 20:  # getCause() ends in null (None)
        if seen == 0 or str(java.getClass().getName()).startswith("org.postgresql."):
            text = str(java.toString())
            if seen:
                break
        java, seen = java.getCause(), seen + 1
    lines = text.strip().splitlines() or [type(exc).__name__]
    return lines[0][:1000]


def main(argv: list[str] | None = None, spark=None) -> int:
    """Entry point; `spark` lets a caller (tests, benchmarks) share its session."""
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        options = parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    own_session = spark is None
    started = time.monotonic()
    try:
        options = resolve_jdbc(options)
        spark = spark or build_session()
        summary = run(spark, options)
    except Exception as exc:
        logger.exception(
            "kpi run failed",
            extra={
                "event": "kpi_run_failed",
                "window_start": options.start.isoformat(),
                "window_end": options.end.isoformat(),
                "error": type(exc).__name__,
                "cause": failure_cause(exc),
                "duration_seconds": round(time.monotonic() - started, 3),
            },
        )
        return 1
    finally:
        if own_session and spark is not None:
            spark.stop()
    logger.info("kpi run finished", extra={"event": "kpi_run_summary", **summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
