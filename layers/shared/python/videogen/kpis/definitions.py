"""Every KPI, defined once: the names, what each means, and how Spark computes it.

The Spark job (`emr/kpi_job.py`) calls `window_kpis`: the deployment-wide, per-model,
per-school and per-class datasets in one aggregation. `daily_kpis` and `model_kpis` are the
deployment-wide datasets alone, as the job computed them before issue 16 (`bench/kpis.py`
times that job as the baseline); the same `_aggregations` and `_finish` in both. The admin
API reads the column lists; `docs/kpis.md` explains the same definitions in prose. pyspark
is imported inside the functions only, so the Lambda functions can import this module
without it.

Shape of the computation (measured, see docs/performance.md): distinct users never as
`countDistinct` next to `percentile_approx` in one aggregation, which makes Spark expand the
groups to (group, user) and was ~30x slower on 1 M rows; `daily_kpis` counts them in a
`distinct()` + join of their own, `window_kpis` as `size(collect_set)` in the same pass.
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
#: of SPEND_COLUMN over the jobs in a SPENDING state. The budget settlement at completion
#: (public.budget_settle) writes the settled price into this column, so spend here is what
#: the ledger settled; the job reads it (SOURCE_COLUMNS) and every figure follows.
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


#: The datasets `window_kpis` computes, each with its grouping besides the day: the
#: deployment's day (`job_date`) for the first two, the school's (`school_date`) for the rest.
DATASET_KEYS: dict[str, tuple[str, ...]] = {
    "daily": (),
    "models": ("model",),
    "schools": SCOPES["school"],
    "classes": SCOPES["class"],
}


def window_kpis(rows: DataFrame, start: date, end: date) -> DataFrame:
    """Every dataset of a run in ONE aggregation: a row per (dataset, day, keys), columns
    `dataset`, `job_date`, `model`, `school_id`, `class_id` (null where not a key),
    DAILY_COLUMNS, `spend_usd` and `blocked_prompts`.

    `rows`: jobs and refused prompts (`refused` true) with `job_date` (the deployment's day)
    and `school_date` (the school's). Each row is copied once per dataset it belongs to (a
    job of the window's deployment day to daily and models; a job or refused prompt of the
    window's school day to its school and its class), then one groupBy: one read, one
    shuffle, one Spark job, where four (daily, its distinct users, per model, the scopes)
    were mostly fixed cost on a one-day run (docs/performance.md). Same aggregations as
    `daily_kpis` and `model_kpis`; distinct users as `size(collect_set)` at every level: an
    object aggregate like percentile_approx, so Spark does not expand the groups as it does
    for countDistinct. A day with no job has no daily row: the caller fills it.

    `percentile_approx` stays within its documented accuracy (PERCENTILE_ACCURACY), but its
    value may differ by a rank or two from the separate aggregations' on a large group: with
    thousands of groups per task Spark's object hash aggregate falls back to sorting, so
    rows reach the summary in another order.
    """
    from pyspark.sql import functions as F

    refused = F.col("refused")
    deployment_day = F.col("job_date").between(F.lit(start), F.lit(end)) & ~refused
    school_day = F.col("school_date").between(F.lit(start), F.lit(end))
    belongs = {
        "daily": deployment_day,
        "models": deployment_day,
        "schools": school_day & F.col("school_id").isNotNull(),
        "classes": school_day & F.col("school_id").isNotNull() & F.col("class_id").isNotNull(),
    }
    key_columns = ("model", "school_id", "class_id")

    def copy(dataset: str) -> Column:
        day = "job_date" if dataset in ("daily", "models") else "school_date"
        fields = [F.lit(dataset).alias("dataset"), F.col(day).alias("_day")]
        for key in key_columns:
            value = F.col(key) if key in DATASET_KEYS[dataset] else F.lit(None).cast("string")
            fields.append(value.alias(f"_{key}"))
        return F.when(belongs[dataset], F.struct(*fields))

    copies = F.filter(F.array(*(copy(d) for d in DATASET_KEYS)), lambda c: c.isNotNull())
    expanded = rows.select(F.explode(copies).alias("_copy"), "*").select(
        F.col("_copy.dataset").alias("dataset"),
        F.col("_copy._day").alias("_day"),
        *(F.col(f"_copy._{key}").alias(f"_{key}") for key in key_columns),
        "user_id",
        "status",
        "duration_seconds",
        SPEND_COLUMN,
        "refused",
    )
    users = F.size(F.collect_set(F.when(~refused, F.col("user_id")))).alias("active_users")
    figures = expanded.groupBy("dataset", "_day", *(f"_{key}" for key in key_columns)).agg(
        *_aggregations(counted=~refused),
        users,
        F.count(F.when(refused, True)).alias("blocked_prompts"),
    )
    finished = _finish(figures).withColumn("spend_usd", F.col("cost_usd"))
    return finished.select(
        "dataset",
        F.col("_day").alias("job_date"),
        *(F.col(f"_{key}").alias(key) for key in key_columns),
        *DAILY_COLUMNS,
        "spend_usd",
        "blocked_prompts",
    )
