"""Removes orphan videos: objects under `videos/` that no `files` row names.

An upload becomes an orphan when the copy worker stops between its upload and its final
transaction (a crash, a timeout) or refuses to store (the account is being erased) and then
fails to remove it. Only objects older than a grace period are touched, so a copy between
its two phases is never raced. Each run looks at a bounded number of keys, from a random
point of the key space, wrapping once: many cheap runs cover the bucket (issue 13).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from videogen.db import Database
from videogen.storage.base import VIDEOS_PREFIX, ObjectStore

logger = logging.getLogger(__name__)


def sweep_orphans(
    db: Database,
    store: ObjectStore,
    *,
    older_than: timedelta,
    max_keys: int,
    start_after: str | None = None,
    now: datetime | None = None,
) -> int:
    """Deletes the orphans among at most `max_keys` objects listed after `start_after` (a
    random key when None); returns how many were deleted."""
    start = start_after if start_after is not None else f"{VIDEOS_PREFIX}{uuid.uuid4()}"
    listed = store.list_objects(VIDEOS_PREFIX, start_after=start, limit=max_keys)
    if len(listed) < max_keys:  # reached the end: wrap to the beginning once
        listed += store.list_objects(VIDEOS_PREFIX, limit=max_keys - len(listed))
    cutoff = (now or datetime.now(UTC)) - older_than
    old = {item.key for item in listed if item.last_modified < cutoff}
    if not old:
        return 0
    with db.connection() as conn:
        named = {
            row["object_key"]
            for row in conn.execute(
                "select object_key from public.files where bucket = %s and object_key = any(%s)",
                (store.bucket, sorted(old)),
            )
        }
    orphans = sorted(old - named)
    for key in orphans:
        store.delete(key)
    if orphans:
        logger.warning("orphan videos removed", extra={"count": len(orphans)})
    return len(orphans)
