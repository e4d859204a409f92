"""Lambda (scheduled): resolves jobs whose fal webhook never arrived or whose copy stalled."""

from __future__ import annotations

from typing import Any

from videogen.copies.deps import get_copy_queue
from videogen.db import get_database
from videogen.generations.deps import get_provider
from videogen.logs import configure_logging, lambda_handler
from videogen.settings import get_settings, require_settings
from videogen.webhooks.deps import get_delivery_recorder
from videogen.webhooks.reconcile import Reconciler

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "fal", "copy_queue")
configure_logging(require_settings(*ADAPTERS).log_level)


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    settings = get_settings()
    reconciler = Reconciler(
        db=get_database(),
        provider_factory=get_provider,
        recorder=get_delivery_recorder(),
        copy_queue=get_copy_queue(),
        older_than_seconds=settings.reconcile_after_seconds,
        unconfirmed_grace_seconds=settings.submit_unconfirmed_grace_seconds,
        max_attempts=settings.reconcile_max_attempts,
    )
    return reconciler.run()
