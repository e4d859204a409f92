"""Deletes videos older than their school's retention (`schools.retention_days`).

Runs daily (functions/retention). Each batch takes at most `batch_size` expired videos,
oldest first, and deletes them through storage/deletion.py, the same code account erasure
uses: object, then `files` row, then the job marked (`video_deleted_at`, `video_kept_days`)
so the UI says the video was deleted after N days. The job itself stays, for the KPIs.

A run starts no new batch once `time_budget_seconds` have passed, so it ends well before
the function's timeout; whatever is left is the next run's. An object storage refuses keeps
its row: this run does not try it again (it would take every batch), the next one does.
A job without a school counts under the default school's retention.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from videogen import metrics
from videogen.db import Database
from videogen.storage.base import ObjectStore
from videogen.storage.deletion import delete_videos

logger = logging.getLogger(__name__)

DEFAULT_SCHOOL = "00000000-0000-0000-0000-000000000001"  # migration 20261127000200

# Oldest first, only as far back as the shortest retention of any school (an index range
# scan on files_created_idx), then each video against its own school's retention.
EXPIRED = """
    select f.object_key, s.id as school_id, s.retention_days
    from public.files f
    join public.jobs j on j.id = f.job_id
    join public.schools s on s.id = coalesce(j.school_id, %(default_school)s::uuid)
    where f.bucket = %(bucket)s
      and f.created_at < now() - make_interval(
            days => (select min(retention_days) from public.schools))
      and f.created_at < now() - make_interval(days => s.retention_days)
      and f.object_key <> all(%(skip)s::text[])
    order by f.created_at, f.id
    limit %(limit)s
"""


@dataclass
class RetentionRun:
    """What one run did: the summary it logs and returns."""

    deleted: int = 0
    failed: int = 0
    batches: int = 0
    by_school: Counter[str] = field(default_factory=Counter)
    more: bool = False  # stopped on its time budget after a full batch: some may be left

    def summary(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "failed": self.failed,
            "batches": self.batches,
            "more": self.more,
            "schools": dict(sorted(self.by_school.items())),
        }


@dataclass
class Retention:
    db: Database
    store: ObjectStore
    batch_size: int
    time_budget_seconds: float
    clock: Callable[[], float] = time.monotonic

    def run(self) -> RetentionRun:
        started = self.clock()
        result = RetentionRun()
        failed: list[str] = []
        while True:
            batch = self._expired(skip=failed)
            if not batch:
                break
            deleted = delete_videos(
                self.db,
                self.store,
                [row["object_key"] for row in batch],
                kept_days={row["object_key"]: row["retention_days"] for row in batch},
            )
            result.batches += 1
            result.deleted += len(deleted.keys)
            result.failed += len(deleted.failed)
            failed.extend(deleted.failed)
            gone = set(deleted.keys)
            result.by_school.update(str(r["school_id"]) for r in batch if r["object_key"] in gone)
            if len(batch) < self.batch_size:
                break
            if self.clock() - started >= self.time_budget_seconds:
                result.more = True
                break
        summary = result.summary()
        logger.info("retention done", extra=summary)
        metrics.retention_run(result.deleted, result.failed, batches=result.batches)
        return result

    def _expired(self, *, skip: list[str]) -> list[dict[str, Any]]:
        with self.db.connection() as conn:
            return list(
                conn.execute(
                    EXPIRED,
                    {
                        "default_school": DEFAULT_SCHOOL,
                        "bucket": self.store.bucket,
                        "skip": skip,
                        "limit": self.batch_size,
                    },
                )
            )
