"""Lambda (EventBridge Scheduler, daily): starts the KPI job for yesterday and today.

A plain handler, no web framework: it only starts an EMR Serverless job run.
"""

from __future__ import annotations

import logging
from typing import Any

from videogen.kpis.deps import get_kpi_runner
from videogen.kpis.runner import daily_window
from videogen.logs import configure_logging, lambda_handler
from videogen.settings import get_settings, require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy): none.
ADAPTERS = ("kpi_runner",)
_settings = require_settings(*ADAPTERS)
configure_logging(_settings.log_level)
logger = logging.getLogger("videogen.kpis.schedule")


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_settings()
    start, end = daily_window(settings.kpi_time_zone)
    run = get_kpi_runner().start(start, end, reason="daily")
    result = {
        "run_id": run.run_id,
        "state": run.state,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    logger.info(
        "kpi run started",
        extra={"event": "kpi_run_started", "source": event.get("source"), **result},
    )
    return result
