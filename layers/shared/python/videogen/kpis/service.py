"""KPI reads and job runs for admins: validation here, storage in Postgres, runs via the port."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from videogen.auth.members import Member
from videogen.db import Database
from videogen.kpis import definitions as kpi
from videogen.kpis import repository
from videogen.kpis.errors import DateInFuture, InvalidRange, RangeTooLong
from videogen.kpis.models import (
    ClassesReport,
    ClassKpis,
    DailyKpi,
    KpiReport,
    KpiRunOut,
    ModelKpi,
    SchoolKpis,
    SchoolReport,
    SchoolsReport,
    ScopeKpi,
)
from videogen.kpis.runner import KpiRun, KpiRunner, today
from videogen.schools.school_service import SchoolNotFound

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


# --- Per school and per class (issue 16) ---


def _scope_days(rows: list[dict[str, Any]]) -> list[ScopeKpi]:
    return [ScopeKpi.model_validate({**r, "spend_usd": float(r["spend_usd"])}) for r in rows]


def _range(
    start: date | None, end: date | None, time_zone: str, max_days: int
) -> tuple[date, date]:
    """The range asked for (default: 30 days), checked against today in the schools' zone."""
    now = today(time_zone)
    start, end = default_range(start, end, now)
    check_range(start, end, max_days=max_days, today=now)
    return start, end


def read_schools(
    db: Database, start: date | None, end: date | None, *, time_zone: str, max_days: int
) -> SchoolsReport:
    """Every school with its days (an operator's table)."""
    start, end = _range(start, end, time_zone, max_days)
    with db.connection() as conn:
        found = repository.schools(conn)
        days = repository.school_days(conn, start, end)
    return SchoolsReport(
        from_date=start,
        to_date=end,
        schools=[SchoolKpis(**s, days=_scope_days(days.get(s["school_id"], []))) for s in found],
    )


def read_school(
    db: Database,
    member: Member,
    school_id: UUID,
    start: date | None,
    end: date | None,
    *,
    max_days: int,
) -> SchoolReport:
    """One school in reach (`target_school` decided it), its days, and its classes in the
    caller's reach; days are the school's."""
    with db.connection() as conn:
        found = repository.schools(conn, school_id)
        if not found:
            raise SchoolNotFound()
        school = found[0]
        start, end = _range(start, end, school["time_zone"], max_days)
        days = repository.school_days(conn, start, end, school_id).get(school_id, [])
        classes, class_days = repository.classes(conn, member, start, end, school_id)
    return SchoolReport(
        from_date=start,
        to_date=end,
        school=SchoolKpis(**school, days=_scope_days(days)),
        classes=[
            ClassKpis(**c, days=_scope_days(class_days.get(c["class_id"], []))) for c in classes
        ],
    )


def read_classes(
    db: Database, member: Member, start: date | None, end: date | None, *, max_days: int
) -> ClassesReport:
    """The classes a teacher teaches (an admin: their school's), with their days."""
    with db.connection() as conn:
        own = repository.schools(conn, member.school_id) if member.school_id else []
        time_zone = own[0]["time_zone"] if own else kpi.DEFAULT_TIME_ZONE
        start, end = _range(start, end, time_zone, max_days)
        classes, class_days = repository.classes(conn, member, start, end, member.scope)
    return ClassesReport(
        from_date=start,
        to_date=end,
        classes=[
            ClassKpis(**c, days=_scope_days(class_days.get(c["class_id"], []))) for c in classes
        ],
    )
