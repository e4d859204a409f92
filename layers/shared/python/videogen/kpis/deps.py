"""Builds the KPI job starter from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from videogen.kpis.runner import KpiRunner, check_kpi_settings
from videogen.settings import get_settings


@lru_cache
def get_kpi_runner() -> KpiRunner:
    settings = get_settings()
    check_kpi_settings(settings)
    if settings.kpi_runner == "emr":
        from videogen.kpis.emr_runner import EmrServerlessRunner

        return EmrServerlessRunner.from_settings(settings)
    from videogen.kpis.local_runner import LocalKpiRunner

    return LocalKpiRunner.from_settings(settings)
