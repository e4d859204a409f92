"""KPI routes: GET /admin/kpis, POST /admin/kpis/run, GET /admin/kpis/runs/{id}. The
figures are deployment-wide, so they are the operators' (403 `operator_only` for a school
admin). Per school and per class (issue 16): GET /kpis/schools (operators, every school),
GET /kpis/school (a school's admin: their school and its classes; 404 `school_not_found`
for another school), GET /kpis/classes (a teacher: the classes they teach)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from videogen.auth.deps import Operator, SchoolAdmin, Teacher
from videogen.db import Database, get_database
from videogen.kpis.deps import get_kpi_runner
from videogen.kpis.models import (
    ClassesReport,
    KpiReport,
    KpiRunOut,
    KpiRunRequest,
    SchoolReport,
    SchoolsReport,
)
from videogen.kpis.runner import KpiRunner, today
from videogen.kpis.service import (
    check_range,
    default_range,
    read_classes,
    read_report,
    read_school,
    read_schools,
    run_out,
    start_run,
)
from videogen.schools.deps import SchoolParam
from videogen.schools.school_service import target_school
from videogen.settings import Settings, get_settings

router = APIRouter(tags=["kpis"])

Runner = Annotated[KpiRunner, Depends(get_kpi_runner)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Db = Annotated[Database, Depends(get_database)]
From = Annotated[date | None, Query(alias="from", description="First day (default: 30 days).")]
To = Annotated[date | None, Query(alias="to", description="Last day, included.")]


@router.get(
    "/admin/kpis",
    response_model=KpiReport,
    response_model_by_alias=True,
    summary="Daily KPIs and the per-model breakdown for a date range (default: 30 days)",
)
def read_kpis(
    _operator: Operator,
    db: Db,
    settings: SettingsDep,
    from_date: From = None,
    to_date: To = None,
) -> KpiReport:
    now = today(settings.kpi_time_zone)
    start, end = default_range(from_date, to_date, now)
    check_range(start, end, max_days=settings.kpi_max_range_days, today=now)
    return read_report(db, start, end, time_zone=settings.kpi_time_zone)


@router.post(
    "/admin/kpis/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=KpiRunOut,
    response_model_by_alias=True,
    summary="Start the KPI job for a date range (a backfill); returns the job-run id",
)
def run_kpis(
    _operator: Operator, body: KpiRunRequest, runner: Runner, settings: SettingsDep
) -> KpiRunOut:
    now = today(settings.kpi_time_zone)
    check_range(body.from_date, body.to_date, max_days=settings.kpi_max_range_days, today=now)
    return start_run(runner, body.from_date, body.to_date, reason="backfill")


@router.get(
    "/admin/kpis/runs/{run_id}",
    response_model=KpiRunOut,
    response_model_by_alias=True,
    summary="State of a KPI job run",
)
def read_run(
    _operator: Operator,
    run_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")],
    runner: Runner,
) -> KpiRunOut:
    return run_out(runner.get(run_id))


@router.get(
    "/kpis/schools",
    response_model=SchoolsReport,
    response_model_by_alias=True,
    summary="Every school's daily KPIs, each in its own time zone (operators)",
)
def kpis_of_schools(
    _operator: Operator, db: Db, settings: SettingsDep, from_date: From = None, to_date: To = None
) -> SchoolsReport:
    return read_schools(
        db,
        from_date,
        to_date,
        time_zone=settings.kpi_time_zone,
        max_days=settings.kpi_max_range_days,
    )


@router.get(
    "/kpis/school",
    response_model=SchoolReport,
    response_model_by_alias=True,
    summary="A school's daily KPIs and its classes' (the school's admins)",
)
def kpis_of_school(
    admin: SchoolAdmin,
    db: Db,
    settings: SettingsDep,
    school_id: SchoolParam = None,
    from_date: From = None,
    to_date: To = None,
) -> SchoolReport:
    school = target_school(admin, school_id)
    return read_school(db, admin, school, from_date, to_date, max_days=settings.kpi_max_range_days)


@router.get(
    "/kpis/classes",
    response_model=ClassesReport,
    response_model_by_alias=True,
    summary="Daily KPIs of the classes the caller teaches (a school's admin: every class)",
)
def kpis_of_classes(
    teacher: Teacher, db: Db, settings: SettingsDep, from_date: From = None, to_date: To = None
) -> ClassesReport:
    return read_classes(db, teacher, from_date, to_date, max_days=settings.kpi_max_range_days)
