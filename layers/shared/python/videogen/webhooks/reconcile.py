"""Finds jobs whose webhook never came and asks fal what became of them.

Runs on a schedule. A job `submitted`/`in_progress` for longer than the threshold is looked
up in fal's queue; a finished one goes through the same `JobFinisher` as a webhook. A job
still `queued` past the threshold never got a request id (the submitting process died
between fal's answer and our write): it is failed and its quota unit given back.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from videogen.db import Database
from videogen.errors import AppError
from videogen.generations import repository as repo
from videogen.generations.provider import GenerationProvider
from videogen.webhooks.finisher import FalOutcome, JobFinisher

logger = logging.getLogger(__name__)


@dataclass
class Reconciler:
    db: Database
    provider: GenerationProvider
    finisher: JobFinisher
    older_than_seconds: int
    batch_size: int = 50

    def run(self) -> dict[str, int]:
        with self.db.connection() as conn:
            stale = conn.execute(
                """select id, model, status, fal_request_id from public.jobs
                   where status in ('queued', 'submitted', 'in_progress')
                     and coalesce(submitted_at, created_at)
                         < now() - make_interval(secs => %s)
                   order by created_at limit %s""",
                (self.older_than_seconds, self.batch_size),
            ).fetchall()
        counts: Counter[str] = Counter()
        for job in stale:
            try:
                counts[self._reconcile(job)] += 1
            except AppError as exc:  # one job's trouble must not stop the others
                logger.warning(
                    "reconcile failed", extra={"job_id": str(job["id"]), "code": exc.code}
                )
                counts["error"] += 1
        summary = {"checked": len(stale), **counts}
        logger.info("reconciliation done", extra=summary)
        return summary

    def _reconcile(self, job: dict) -> str:
        if job["fal_request_id"] is None:
            with self.db.connection() as conn:
                if repo.advance(
                    conn,
                    job["id"],
                    "failed",
                    from_statuses=("queued",),
                    error="The submission to the video service was never confirmed.",
                    finished_at="now()",
                ):
                    repo.refund_for_job(conn, job["id"])
            return "failed_unsubmitted"
        status = self.provider.status(job["model"], job["fal_request_id"])
        if status.state == "IN_QUEUE":
            return "still_queued"
        if status.state == "IN_PROGRESS":
            with self.db.connection() as conn:
                repo.advance(
                    conn,
                    job["id"],
                    "in_progress",
                    from_statuses=("submitted",),
                    started_at="now()",
                )
            return "in_progress"
        if status.error:
            outcome = FalOutcome(job["fal_request_id"], ok=False, error=status.error)
        else:
            result = self.provider.result(job["model"], job["fal_request_id"])
            video = result.get("video") if isinstance(result, dict) else None
            url = video.get("url") if isinstance(video, dict) else None
            outcome = FalOutcome(job["fal_request_id"], ok=True, video_url=url)
        return "finished_" + self.finisher.finish(job["id"], outcome)
