"""Finds jobs fal's webhook never finished and asks fal what became of them.

Runs on a schedule. Each stale job gets one check per run, least recently checked first,
and each check is recorded (`reconcile_attempts`, `last_checked_at`) before it is made, so
jobs that can never finish move to the back and cannot starve the others; after
`max_attempts` checks a job is failed and its budget reservation released.

- `submitted`/`in_progress`: fal's queue status; a finished request goes through the same
  `DeliveryRecorder` as a webhook (`fal_check.ask_fal`, which an admin's re-check uses too).
  fal refusing the status or result (a 4xx: the request is gone, or its result is an
  error) is final: the job fails and is refunded.
- `finishing`: the copy task is queued again (the worker ignores duplicates).
- `queued` with no request id: the submit's answer never reached us. fal's webhook, whose URL
  names the job, binds the request if fal took it; once fal's delivery window is over
  (`unconfirmed_grace_seconds`), the job is failed and refunded — never submitted again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from videogen import logs, metrics
from videogen.copies.queue import CopyQueue, CopyTask, QueueUnavailable
from videogen.db import Database
from videogen.errors import AppError
from videogen.generations import repository as repo
from videogen.generations.provider import GenerationProvider, ProviderRejected
from videogen.webhooks.fal_check import ask_fal
from videogen.webhooks.recorder import DeliveryRecorder

logger = logging.getLogger(__name__)


@dataclass
class Reconciler:
    db: Database
    provider_factory: Callable[[], GenerationProvider]
    recorder: DeliveryRecorder
    copy_queue: CopyQueue
    older_than_seconds: int
    unconfirmed_grace_seconds: int
    max_attempts: int
    batch_size: int = 50

    def run(self) -> dict[str, int]:
        with self.db.connection() as conn:
            stale = repo.stale_jobs(
                conn, older_than_seconds=self.older_than_seconds, limit=self.batch_size
            )
        counts: Counter[str] = Counter()
        for job in stale:
            with logs.bind(job_id=job["id"]):
                try:
                    result = self._reconcile(job)
                except (AppError, QueueUnavailable) as exc:  # one job must not stop the others
                    code = exc.code if isinstance(exc, AppError) else "queue_unavailable"
                    logger.warning("reconcile failed", extra={"code": code})
                    counts["error"] += 1
                    metrics.reconcile_result("error", code=code)
                    continue
                counts[result] += 1
                metrics.reconcile_result(result)
        summary = {"checked": len(stale), **counts}
        logger.info("reconciliation done", extra=summary)
        return summary

    def _reconcile(self, job: dict[str, Any]) -> str:
        with self.db.connection() as conn:
            attempts = repo.mark_checked(conn, job["id"])
        if attempts > self.max_attempts:
            return self._give_up(job, "The video service never confirmed the outcome.")
        if job["status"] == "finishing":
            self.copy_queue.send(CopyTask(job["id"], origin_request_id=logs.request_id()))
            return "copy_requeued"
        if job["fal_request_id"] is None:
            return self._unsubmitted(job)
        try:
            return self._ask_fal(job)
        except ProviderRejected as exc:  # a 4xx is fal's final word: no point asking again
            return self._give_up(job, f"The video service has no result: {exc.message}")

    def _unsubmitted(self, job: dict[str, Any]) -> str:
        window_end = job["created_at"] + timedelta(seconds=self.unconfirmed_grace_seconds)
        if datetime.now(UTC) < window_end:
            return "awaiting_webhook"
        if job["cancel_requested_at"] is not None:
            with self.db.connection() as conn:
                repo.fail_and_refund(
                    conn, job["id"], "Cancelled at your request.", status="cancelled"
                )
            return "cancelled"
        return self._give_up(job, "The submission to the video service was never confirmed.")

    def _ask_fal(self, job: dict[str, Any]) -> str:
        return ask_fal(
            job,
            provider=self.provider_factory(),
            db=self.db,
            recorder=self.recorder,
            copy_queue=self.copy_queue,
        ).result

    def _give_up(self, job: dict[str, Any], error: str) -> str:
        with self.db.connection() as conn:
            repo.fail_and_refund(conn, job["id"], error)
        return "given_up"
