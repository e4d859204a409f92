"""Runs the copy worker over the local copy queue, as the local stack's consumer does."""

from __future__ import annotations

from videogen.copies.deps import get_copy_queue, get_copy_worker
from videogen.copies.sqlite_queue import SqliteCopyQueue, consume_once
from videogen.settings import get_settings


def run_copy_worker(max_polls: int = 20) -> int:
    """Processes every copy task visible now (and those its retries make visible at once);
    returns how many messages were handled."""
    queue = get_copy_queue()
    assert isinstance(queue, SqliteCopyQueue)
    settings = get_settings()
    handled = 0
    for _ in range(max_polls):
        done = consume_once(
            queue,
            get_copy_worker(),
            max_attempts=settings.copy_max_attempts,
            retry_base_seconds=settings.copy_retry_base_seconds,
        )
        if not done:
            break
        handled += done
    return handled
