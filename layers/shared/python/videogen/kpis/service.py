"""KPI reads and job runs for admins: validation here, storage in Postgres, runs via the port."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from videogen.db import Database
from videogen.kpis import definitions as kpi
from videogen.kpis.errors import DateInFuture, InvalidRange, RangeTooLong
from videogen.kpis.models import DailyKpi, KpiReport, KpiRunOut, ModelKpi
from videogen.kpis.runner import KpiRun, KpiRunner

DEFAULT_DAYS = 30


def check_range(start: date, end: date, *, max_days: int, today: date) -> None:
    if start > end:
        raise InvalidRange(f"'from' ({start}) is after 'to' ({end}).")
    if end > today:
        raise DateInFuture(f"'to' ({end}) is after today ({today}).")
    days = (end - start).days + 1
    if days > max_days:
        raise RangeTooLong(
            f"The range covers {days} days; at most {max_days} are allowed.",
            details={"days": days, "max_days": max_days},
        )


def default_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or (today if start is None else min(today, start + timedelta(DEFAULT_DAYS - 1)))
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def read_report(db: Database, start: date, end: date, *, time_zone: str) -> KpiReport:
    daily_columns = ", ".join(("job_date", *kpi.DAILY_COLUMNS))
    model_columns = ", ".join(("job_date", "model", *kpi.MODEL_COLUMNS))
    with db.connection() as conn:
        days = conn.execute(
            f"select {daily_columns} from public.kpi_spark_daily "
            "where job_date between %s and %s order by job_date",
            (start, end),
        ).fetchall()
        models = conn.execute(
            f"select {model_columns} from public.kpi_spark_daily_models "
            "where job_date between %s and %s order by job_date, model",
            (start, end),
        ).fetchall()
    return KpiReport(
        from_date=start,
        to_date=end,
        time_zone=time_zone,
        days=[DailyKpi.model_validate(_floats(r)) for r in days],
        models=[ModelKpi.model_validate(_floats(r)) for r in models],
    )


def _floats(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "cost_usd": float(row["cost_usd"])}


def run_out(run: KpiRun) -> KpiRunOut:
    return KpiRunOut(
        run_id=run.run_id,
        state=run.state,
        from_date=run.start,
        to_date=run.end,
        detail=run.detail,
    )


def start_run(runner: KpiRunner, start: date, end: date, *, reason: str) -> KpiRunOut:
    return run_out(runner.start(start, end, reason=reason))
