"""Builds the KPI job starter from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from videogen.kpis.runner import KpiRunner
from videogen.settings import require_settings


@lru_cache
def get_kpi_runner() -> KpiRunner:
    settings = require_settings("kpi_runner")
    if settings.kpi_runner == "emr":
        from videogen.kpis.emr_runner import EmrServerlessRunner

        return EmrServerlessRunner.from_settings(settings)
    from videogen.kpis.local_runner import LocalKpiRunner

    return LocalKpiRunner.from_settings(settings)
