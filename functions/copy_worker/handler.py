"""Lambda (SQS): copies finished videos from fal's media host into storage, one task each.

Fed by the copy queue's event source mapping with ReportBatchItemFailures: a task that
failed transiently is retried after a back-off; after the queue's maxReceiveCount it goes
to the dead-letter queue (alarmed). After each batch, a bounded sweep removes orphan videos
(videogen/storage/sweep.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from videogen.copies.deps import get_copy_queue, get_copy_worker
from videogen.copies.sqs import SqsCopyQueue, handle_sqs_event
from videogen.db import get_database
from videogen.errors import AppError
from videogen.logs import configure_logging, lambda_handler
from videogen.settings import get_settings, require_settings
from videogen.storage.deps import get_object_store
from videogen.storage.sweep import sweep_orphans

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "storage", "copy_queue", "fal")
configure_logging(require_settings(*ADAPTERS).log_level)


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    settings = get_settings()
    queue = get_copy_queue()
    assert isinstance(queue, SqsCopyQueue), "the copy worker Lambda consumes SQS"
    failures = handle_sqs_event(
        event,
        get_copy_worker(),
        queue,
        max_attempts=settings.copy_max_attempts,
        retry_base_seconds=settings.copy_retry_base_seconds,
    )
    try:
        sweep_orphans(
            get_database(),
            get_object_store(),
            older_than=timedelta(seconds=settings.orphan_sweep_after_seconds),
            max_keys=settings.orphan_sweep_max_keys,
        )
    except AppError as exc:  # the batch's outcome stands; the next batch sweeps again
        logging.getLogger(__name__).warning("orphan sweep failed", extra={"code": exc.code})
    return failures
