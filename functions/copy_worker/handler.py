"""Lambda (SQS): copies finished videos from fal's media host into storage, one task each.

Fed by the copy queue's event source mapping with ReportBatchItemFailures: a task that
failed transiently is retried after a back-off; after the queue's maxReceiveCount it goes
to the dead-letter queue (alarmed). After each batch, a bounded sweep removes orphan videos
(videogen/storage/sweep.py).
"""

from __future__ import annotations

from typing import Any

from videogen.copies.deps import get_copy_queue, get_copy_worker, sweep_orphan_videos
from videogen.copies.sqs import SqsCopyQueue, handle_sqs_event
from videogen.logs import configure_logging, lambda_handler
from videogen.settings import get_settings, require_settings

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
    sweep_orphan_videos()  # the batch's outcome stands whatever the sweep meets
    return failures
