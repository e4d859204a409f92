"""Lambda (scheduled, daily): deletes videos older than their school's retention."""

from __future__ import annotations

import logging
from typing import Any

from videogen.db import get_database
from videogen.logs import configure_logging, lambda_handler
from videogen.retention.service import Retention
from videogen.settings import get_settings, require_settings
from videogen.storage.deps import get_object_store

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "storage")
configure_logging(require_settings(*ADAPTERS).log_level)
logger = logging.getLogger(__name__)


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_settings()
    if not settings.retention_enabled:
        logger.warning("retention paused", extra={"setting": "RETENTION_ENABLED"})
        return {"paused": True}
    retention = Retention(
        db=get_database(),
        store=get_object_store(),
        batch_size=settings.retention_batch_size,
        time_budget_seconds=settings.retention_time_budget_seconds,
    )
    return retention.run().summary()
