"""Deletes stored videos: the object, then the `files` row naming it, then marks its job.

The one way a video is deleted, whoever asks: account erasure (account/service.py) and
the retention run (retention/service.py). Each object is deleted on its own; one that
storage refuses keeps its `files` row, so whoever asked can retry it (erasure answers 503,
retention's next run picks it up again), and the others still go. The row goes only after
its object: a row never names a deleted object for long, while an object without a row
is an orphan the sweep removes (storage/sweep.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from videogen.db import Database
from videogen.errors import AppError
from videogen.storage.base import ObjectStore

logger = logging.getLogger(__name__)

# The rows of the deleted objects, and their jobs marked (kept: the KPIs count them).
DELETE_ROWS = """
    with gone as (
        delete from public.files f
        where f.bucket = %(bucket)s and f.object_key = any(%(keys)s)
        returning f.job_id, f.object_key
    )
    update public.jobs j
    set video_deleted_at = now(), video_kept_days = k.days, updated_at = now()
    from gone left join unnest(%(keys)s::text[], %(days)s::int[]) k(key, days)
      on k.key = gone.object_key
    where j.id = gone.job_id
"""


@dataclass
class Deleted:
    """What one call deleted (object keys), and what storage refused (key -> error code)."""

    keys: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def delete_videos(
    db: Database,
    store: ObjectStore,
    keys: Iterable[str],
    *,
    kept_days: Mapping[str, int] | None = None,
) -> Deleted:
    """Deletes each object of `keys`, then the `files` rows naming the deleted ones, and
    marks their jobs `video_deleted_at` (and `video_kept_days`, from `kept_days` by key:
    the retention that expired them)."""
    result = Deleted()
    for key in sorted(set(keys)):
        try:
            store.delete(key)
        except AppError as exc:
            result.failed[key] = exc.code
            logger.warning("video not deleted", extra={"object_key": key, "code": exc.code})
            continue
        result.keys.append(key)
    if not result.keys:
        return result
    days = kept_days or {}
    with db.connection() as conn:
        conn.execute(
            DELETE_ROWS,
            {
                "bucket": store.bucket,
                "keys": result.keys,
                "days": [days.get(key) for key in result.keys],
            },
        )
    return result
