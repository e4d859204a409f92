"""Deletes videos older than their school's retention (`schools.retention_days`).

Runs daily (functions/retention). Each batch takes at most `batch_size` expired videos,
oldest first, and deletes them through storage/deletion.py, the same code account erasure
uses: object, then `files` row, then the job marked (`video_deleted_at`, `video_kept_days`)
so the UI says the video was deleted after N days. The job itself stays, for the KPIs.

A run starts no new batch once `time_budget_seconds` have passed, so it ends well before
the function's timeout; whatever is left is the next run's. An object storage refuses keeps
its row: this run does not try it again (it would take every batch), the next one does.
A job without a school counts under the default school's retention.

Safety events (refused prompts) are the school's record and outlive the student's account,
not its retention: past `retention_days` their prompt text is removed, in batches too, and
the rest (rule, class, time) stays for the counts and the KPIs.
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

# Prompt text of refused prompts past their school's retention, oldest first, one batch.
REMOVE_OLD_PROMPTS = """
    with old as (
        select e.id from public.safety_events e
        join public.schools s on s.id = e.school_id
        where e.prompt is not null
          and e.created_at < now() - make_interval(
                days => (select min(retention_days) from public.schools))
          and e.created_at < now() - make_interval(days => s.retention_days)
        order by e.created_at, e.id
        limit %(limit)s
        for update of e skip locked)
    update public.safety_events e set prompt = null, prompt_removed_at = now()
    from old where e.id = old.id
"""


@dataclass
class RetentionRun:
    """What one run did: the summary it logs and returns."""

    deleted: int = 0
    failed: int = 0
    prompts_removed: int = 0
    batches: int = 0
    by_school: Counter[str] = field(default_factory=Counter)
    more: bool = False  # stopped on its time budget after a full batch: some may be left

    def summary(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "failed": self.failed,
            "prompts_removed": self.prompts_removed,
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
        if not result.more:
            self._remove_old_prompts(result, started)
        summary = result.summary()
        logger.info("retention done", extra=summary)
        metrics.retention_run(
            result.deleted,
            result.failed,
            batches=result.batches,
            prompts_removed=result.prompts_removed,
        )
        return result

    def _remove_old_prompts(self, result: RetentionRun, started: float) -> None:
        while True:
            with self.db.connection() as conn:
                removed = conn.execute(REMOVE_OLD_PROMPTS, {"limit": self.batch_size}).rowcount
            result.prompts_removed += removed
            if removed < self.batch_size:
                return
            if self.clock() - started >= self.time_budget_seconds:
                result.more = True
                return

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
