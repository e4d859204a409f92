"""Lambda (scheduled): finishes jobs whose fal webhook never arrived."""

from __future__ import annotations

from typing import Any

from videogen.db import get_database
from videogen.generations.provider import get_provider
from videogen.logs import configure_logging
from videogen.settings import get_settings
from videogen.webhooks.deps import get_job_finisher
from videogen.webhooks.reconcile import Reconciler

configure_logging(get_settings().log_level)


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    reconciler = Reconciler(
        db=get_database(),
        provider=get_provider(),
        finisher=get_job_finisher(),
        older_than_seconds=get_settings().reconcile_after_seconds,
    )
    return reconciler.run()
