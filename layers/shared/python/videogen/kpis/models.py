"""Request and response bodies of the admin KPI routes."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class KpiValues(BaseModel):
    """The KPIs shared by the daily and the per-model rows (docs/kpis.md)."""

    jobs_total: int
    jobs_succeeded: int
    jobs_failed: int
    jobs_cancelled: int
    avg_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    success_rate: float | None
    cost_usd: float


class DailyKpi(KpiValues):
    job_date: date
    active_users: int


class ModelKpi(KpiValues):
    job_date: date
    model: str


class KpiReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    time_zone: str
    days: list[DailyKpi]
    models: list[ModelKpi]


class KpiRunRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_date: date = Field(alias="from", description="First day (KPI time zone).")
    to_date: date = Field(alias="to", description="Last day, included.")


class KpiRunOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    run_id: str
    state: str
    from_date: date | None = Field(None, alias="from")
    to_date: date | None = Field(None, alias="to")
    detail: str | None = None


# --- Per school and per class (issue 16) ---


class ScopeKpi(BaseModel):
    """One day of a school or a class (definitions.SCOPE_KPIS; the school's day)."""

    job_date: date
    jobs_total: int
    jobs_succeeded: int
    jobs_failed: int
    jobs_cancelled: int
    active_users: int
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    spend_usd: float
    blocked_prompts: int


class SchoolKpis(BaseModel):
    school_id: UUID
    name: str
    time_zone: str
    days: list[ScopeKpi] = Field(description="Days with a job or a refused prompt only.")


class ClassKpis(BaseModel):
    class_id: UUID
    school_id: UUID
    name: str
    archived: bool
    days: list[ScopeKpi] = Field(description="Days with a job or a refused prompt only.")


class SchoolsReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    schools: list[SchoolKpis]


class SchoolReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    school: SchoolKpis
    classes: list[ClassKpis]
    # Spend against budget is not here: the budget is a month of the school's time zone with
    # open reservations, not a range of KPI days; clients read GET /school/budget/status.


class ClassesReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    classes: list[ClassKpis]
