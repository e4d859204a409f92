"""Every KPI, defined once: the names, what each means, and how Spark computes it.

The Spark job (`emr/kpi_job.py`) calls `daily_kpis`, `model_kpis` and, per school and per
class, `scope_kpis`; the admin API reads the column lists; `docs/kpis.md` explains the same
definitions in prose. pyspark is imported inside the functions only, so the Lambda
functions can import this module without it.

Shape of the computation (measured, see docs/performance.md): one `groupBy(job_date)` for the
counts, averages and percentiles, and the distinct users computed on their own
(`select(job_date, user_id).distinct()`), then joined. Putting `countDistinct` next to
`percentile_approx` in one aggregation makes Spark expand the groups to (day, user) and was
~30x slower on 1 M rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql import Column, DataFrame, SparkSession

SUCCEEDED = ("completed",)
FAILED = ("failed",)
CANCELLED = ("cancelled",)
#: A job is finished once it reached a final state; success_rate = succeeded / finished.
FINISHED = SUCCEEDED + FAILED + CANCELLED
#: Spend, the one rule (deployment-wide `cost_usd`, per school and class `spend_usd`): the sum
#: of SPEND_COLUMN over the jobs in a SPENDING state. Today the estimate of completed jobs;
#: once settlement writes the final price into the job row (issue 16, budgets), repoint
#: SPEND_COLUMN to that column: the job reads it (SOURCE_COLUMNS) and every figure follows.
SPENDING = SUCCEEDED
SPEND_COLUMN = "cost_estimate_usd"

DEFAULT_TIME_ZONE = "UTC"
#: `percentile_approx` accuracy: the returned value's rank is within N / accuracy of the
#: exact rank (N = durations in the group). Below `accuracy` values per group it is exact.
PERCENTILE_ACCURACY = 10_000
PERCENTILES = {"p50_duration_seconds": 0.5, "p95_duration_seconds": 0.95}
#: Rows read beyond the window on each side, so any time zone's day is covered.
READ_MARGIN_DAYS = 1


@dataclass(frozen=True)
class Kpi:
    name: str
    meaning: str
    exact: bool = True
    per_model: bool = True


KPIS: tuple[Kpi, ...] = (
    Kpi("jobs_total", "jobs created that day, whatever their state"),
    Kpi("jobs_succeeded", "jobs created that day now in state completed"),
    Kpi("jobs_failed", "jobs created that day now in state failed"),
    Kpi("jobs_cancelled", "jobs created that day now in state cancelled"),
    Kpi(
        "active_users",
        "distinct users who created a job that day (deleted accounts not counted)",
        per_model=False,
    ),
    Kpi("avg_duration_seconds", "mean duration of the day's completed jobs with a finish time"),
    Kpi(
        "p50_duration_seconds",
        "median duration of the same jobs (percentile_approx, accuracy 10 000)",
        exact=False,
    ),
    Kpi(
        "p95_duration_seconds",
        "95th percentile duration of the same jobs (percentile_approx, accuracy 10 000)",
        exact=False,
    ),
    Kpi("success_rate", "completed / (completed + failed + cancelled); null if none finished"),
    Kpi("cost_usd", "spend: sum of cost_estimate_usd of the day's completed jobs (SPEND_COLUMN)"),
)
DAILY_COLUMNS: tuple[str, ...] = tuple(k.name for k in KPIS)
MODEL_COLUMNS: tuple[str, ...] = tuple(k.name for k in KPIS if k.per_model)
COUNT_COLUMNS = ("jobs_total", "jobs_succeeded", "jobs_failed", "jobs_cancelled", "active_users")
#: The columns of `public.jobs` the job reads (nothing else crosses the wire).
SOURCE_COLUMNS = (
    "id",
    "user_id",
    "school_id",
    "class_id",
    "model",
    "status",
    SPEND_COLUMN,
    "created_at",
    "duration_seconds",
)
#: The columns of `public.safety_events` (refused prompts) the job reads, in the same
#: relation as the jobs (the other job columns null, `refused` true).
EVENT_COLUMNS = ("school_id", "class_id", "user_id", "created_at")

#: Per school and per class (issue 16): one row per (day, school) and (day, class) with any
#: job or refused prompt; the day is the school's own (`schools.time_zone`).
SCOPE_KPIS: tuple[Kpi, ...] = (
    Kpi("jobs_total", "jobs of the school (class) created that day, whatever their state"),
    Kpi("jobs_succeeded", "of those, now in state completed"),
    Kpi("jobs_failed", "of those, now in state failed"),
    Kpi("jobs_cancelled", "of those, now in state cancelled"),
    Kpi(
        "active_users",
        "distinct users who created one of those jobs (deleted accounts not counted)",
    ),
    Kpi("p50_duration_seconds", "median duration of those completed", exact=False),
    Kpi("p95_duration_seconds", "95th percentile duration of those completed", exact=False),
    Kpi("spend_usd", "spend: sum of SPEND_COLUMN over those in a SPENDING state (as cost_usd)"),
    Kpi("blocked_prompts", "prompts the safety filter refused that day (safety_events)"),
)
SCOPE_COLUMNS: tuple[str, ...] = tuple(k.name for k in SCOPE_KPIS)
#: The key columns of each scope's rows besides `job_date`; a job or event without them
#: (no school, no class) is in no row of that scope.
SCOPES: dict[str, tuple[str, ...]] = {
    "school": ("school_id",),
    "class": ("school_id", "class_id"),
}


def window_days(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def read_bounds(start: date, end: date) -> tuple[date, date]:
    """UTC `created_at` range to read: [start - margin, end + 1 + margin)."""
    margin = timedelta(days=READ_MARGIN_DAYS)
    return start - margin, end + timedelta(days=1) + margin


def job_date(created_at: Column, time_zone: str = DEFAULT_TIME_ZONE) -> Column:
    """The KPI day of a job: the calendar date of `created_at` in `time_zone`.

    Needs the Spark session time zone to be UTC (the job sets it), so `created_at` values
    are UTC wall-clock times before the shift.
    """
    from pyspark.sql import functions as F

    return F.to_date(F.from_utc_timestamp(created_at, time_zone))


def spend(status: Column) -> Column:
    """What a job row adds to spend: SPEND_COLUMN when it is in a SPENDING state, else null."""
    from pyspark.sql import functions as F

    return F.when(status.isin(*SPENDING), F.col(SPEND_COLUMN))


def _aggregations(counted: Column | None = None) -> list[Column]:
    """The per-group aggregations; `counted`: which rows are jobs (default: all of them)."""
    from pyspark.sql import functions as F

    status = F.col("status")
    succeeded = status.isin(*SUCCEEDED)
    duration = F.when(succeeded, F.col("duration_seconds"))
    percentiles = F.percentile_approx(
        duration, list(PERCENTILES.values()), PERCENTILE_ACCURACY
    ).alias("_percentiles")
    return [
        F.count(F.lit(1) if counted is None else F.when(counted, True)).alias("jobs_total"),
        F.count(F.when(succeeded, True)).alias("jobs_succeeded"),
        F.count(F.when(status.isin(*FAILED), True)).alias("jobs_failed"),
        F.count(F.when(status.isin(*CANCELLED), True)).alias("jobs_cancelled"),
        F.count(F.when(status.isin(*FINISHED), True)).alias("_finished"),
        F.avg(duration).alias("avg_duration_seconds"),
        percentiles,
        F.sum(spend(status)).alias("cost_usd"),
    ]


def _finish(frame: DataFrame) -> DataFrame:
    """Derived columns: percentiles out of their array, success rate, zero cost when none."""
    from pyspark.sql import functions as F

    for index, name in enumerate(PERCENTILES):
        frame = frame.withColumn(name, F.col("_percentiles")[index])
    success = F.when(F.col("_finished") > 0, F.col("jobs_succeeded") / F.col("_finished"))
    return (
        frame.withColumn("success_rate", success.cast("double"))
        .withColumn("cost_usd", F.coalesce(F.col("cost_usd"), F.lit(0)).cast("decimal(14,4)"))
        .drop("_percentiles", "_finished")
    )


def daily_kpis(jobs: DataFrame, days: list[date], spark: SparkSession) -> DataFrame:
    """One row per day of `days` (empty days included), columns `job_date` + DAILY_COLUMNS.

    `jobs` has the SOURCE_COLUMNS plus `job_date`, already limited to the window.
    """
    from pyspark.sql import functions as F

    per_day = _finish(jobs.groupBy("job_date").agg(*_aggregations()))
    users = (
        jobs.where(F.col("user_id").isNotNull())
        .select("job_date", "user_id")
        .distinct()
        .groupBy("job_date")
        .agg(F.count(F.lit(1)).alias("active_users"))
    )
    spine = spark.createDataFrame([(d,) for d in days], "job_date date")
    joined = spine.join(per_day, "job_date", "left").join(users, "job_date", "left")
    filled = joined.fillna(0, subset=list(COUNT_COLUMNS)).withColumn(
        "cost_usd", F.coalesce(F.col("cost_usd"), F.lit(0).cast("decimal(14,4)"))
    )
    return filled.select("job_date", *DAILY_COLUMNS)


def model_kpis(jobs: DataFrame) -> DataFrame:
    """One row per (day, model) that had jobs, columns `job_date`, `model` + MODEL_COLUMNS."""
    per_model = _finish(jobs.groupBy("job_date", "model").agg(*_aggregations()))
    return per_model.select("job_date", "model", *MODEL_COLUMNS)


def scope_kpis(rows: DataFrame) -> DataFrame:
    """One row per (day, school) and per (day, class) with a job or a refused prompt:
    columns `scope` ("school" or "class"), `job_date`, `school_id`, `class_id` (null in a
    school's row) and SCOPE_COLUMNS.

    `rows` are jobs (SOURCE_COLUMNS) and refused prompts (`refused` true; EVENT_COLUMNS, the
    job columns null) with `job_date` (the school's day), already limited to the window.
    The deployment-wide aggregations, the distinct users and the refused prompts, for both
    scopes in ONE aggregation (a rollup over day, school, class; the day-only and grand
    total levels are dropped): one Spark job, where two cost a one-day run twice the fixed
    overhead (docs/performance.md).
    """
    from pyspark.sql import functions as F

    refused = F.col("refused")
    # Distinct users as the size of a set in the same aggregation: an object aggregate like
    # percentile_approx, so Spark does not expand the groups as it does for countDistinct,
    # and no second shuffle and join (the groups are small: one school's users of one day).
    users = F.size(F.collect_set(F.when(~refused, F.col("user_id")))).alias("active_users")
    figures = (
        rows.where(F.col("school_id").isNotNull())
        .rollup("job_date", "school_id", "class_id")
        .agg(
            *_aggregations(counted=~refused),
            users,
            F.count(F.when(refused, True)).alias("blocked_prompts"),
            F.grouping_id().alias("_level"),
        )
    )
    # grouping_id bits (job_date, school_id, class_id): 0 = a class (or, with class_id
    # null, the school's jobs of no class: dropped), 1 = a school.
    level = F.col("_level")
    kept = figures.where((level == 1) | ((level == 0) & F.col("class_id").isNotNull()))
    scope = F.when(level == 1, F.lit("school")).otherwise(F.lit("class")).alias("scope")
    finished = _finish(kept.withColumn("scope", scope)).withColumnRenamed("cost_usd", "spend_usd")
    return finished.select("scope", "job_date", "school_id", "class_id", *SCOPE_COLUMNS)
