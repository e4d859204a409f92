"""Request and response bodies of the admin KPI routes."""

from __future__ import annotations

from datetime import date

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
