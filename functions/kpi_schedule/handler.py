"""Lambda (EventBridge Scheduler, daily): starts the KPI job for yesterday and today.

A plain handler, no web framework: it only starts an EMR Serverless job run. When the job's
artifacts are not in the artifacts bucket yet (a first deploy before `make emr-artifacts`),
it skips the run with a warning and a `KpiRunSkipped` metric instead of failing: no Lambda
error, so the KPI start alarm stays quiet; the skipped-runs alarm fires after two days.
"""

from __future__ import annotations

import logging
from typing import Any

from videogen import metrics
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
ARTIFACTS_MISSING = "artifacts_missing"


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_settings()
    start, end = daily_window(settings.kpi_time_zone)
    runner = get_kpi_runner()
    missing = runner.missing_artifacts()
    if missing:
        bucket = (settings.emr_artifacts_uri or "").removeprefix("s3://").partition("/")[0]
        logger.warning(
            "KPI job artifacts missing: run make emr-artifacts STAGE=<stage>"
            + (f" (or BUCKET={bucket})" if bucket else ""),
            extra={"event": "kpi_run_skipped", "reason": ARTIFACTS_MISSING, "missing": missing},
        )
        metrics.kpi_run_skipped(ARTIFACTS_MISSING, missing=missing)
        return {"skipped": True, "reason": ARTIFACTS_MISSING, "missing": missing}
    run = runner.start(start, end, reason="daily")
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
