"""Builds the copy queue and the copy worker from settings, once per process."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache

from videogen.copies.queue import CopyQueue
from videogen.copies.worker import CopyWorker, MediaPolicy
from videogen.db import get_database
from videogen.errors import AppError
from videogen.generations.deps import get_provider
from videogen.settings import get_settings, require_settings
from videogen.storage.deps import get_object_store
from videogen.storage.sweep import sweep_orphans

logger = logging.getLogger(__name__)


@lru_cache
def get_copy_queue() -> CopyQueue:
    settings = require_settings("copy_queue")
    if settings.copy_queue == "sqs":
        from videogen.copies.sqs import SqsCopyQueue

        assert settings.copy_queue_url is not None  # required above
        return SqsCopyQueue(settings.copy_queue_url, region=settings.copy_queue_region)
    from videogen.copies.sqlite_queue import SqliteCopyQueue

    return SqliteCopyQueue(settings.copy_queue_path)


def get_copy_worker() -> CopyWorker:
    settings = get_settings()
    return CopyWorker(
        db=get_database(),
        store=get_object_store(),
        provider_factory=get_provider,
        media_policy=MediaPolicy(
            allowed_hosts=settings.media_hosts,
            allow_http=settings.media_allow_http,
            max_bytes=settings.media_max_bytes,
            timeout=settings.media_timeout_seconds,
        ),
    )


def sweep_orphan_videos() -> int:
    """The bounded orphan sweep run after each batch of copy tasks (Lambda and the local
    consumer alike); a failure is logged and left to the next batch."""
    settings = get_settings()
    try:
        return sweep_orphans(
            get_database(),
            get_object_store(),
            older_than=timedelta(seconds=settings.orphan_sweep_after_seconds),
            max_keys=settings.orphan_sweep_max_keys,
        )
    except AppError as exc:
        logger.warning("orphan sweep failed", extra={"code": exc.code})
        return 0
