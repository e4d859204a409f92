"""Brings a job to its final state from fal's word: one code path for webhooks and for the
reconciliation that polls fal when a webhook never came.

Deliveries for one job serialize on the job's row lock; a job already final is left alone,
so any number of repeated or concurrent deliveries make one state change and one file. The
video goes to a key derived from the job, the `files` row and the status change commit
together, and a failed copy removes what it stored and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from videogen.db import Database
from videogen.generations import repository as repo
from videogen.generations.models import FINAL_STATUSES
from videogen.storage.base import ObjectStore, video_key
from videogen.webhooks import media

logger = logging.getLogger(__name__)


if TYPE_CHECKING:
    import psycopg

UNFINISHED = ("queued", "submitted", "in_progress")


@dataclass(frozen=True)
class FalOutcome:
    request_id: str
    ok: bool
    video_url: str | None = None
    error: str | None = None


@dataclass
class MediaPolicy:
    allowed_hosts: list[str]
    allow_http: bool
    max_bytes: int
    timeout: float


@dataclass
class JobFinisher:
    db: Database
    store: ObjectStore
    media_policy: MediaPolicy

    def finish(self, job_id: UUID | None, outcome: FalOutcome) -> str:
        """Applies the outcome; returns what happened (`applied`, `duplicate`, …)."""
        with self.db.connection() as conn:
            job = self._locked_job(conn, job_id, outcome.request_id)
            if job is None:
                return "unknown_job"
            if job["fal_request_id"] is None and job["status"] == "queued":
                # fal answered the webhook before our submit stored the request id
                conn.execute(
                    "update public.jobs set fal_request_id = %s where id = %s",
                    (outcome.request_id, job["id"]),
                )
            elif job["fal_request_id"] != outcome.request_id:
                return "request_mismatch"
            if job["status"] in FINAL_STATUSES:
                return "duplicate"
            if outcome.ok:
                return self._complete(conn, job, outcome)
            repo.advance(
                conn,
                job["id"],
                "failed",
                from_statuses=UNFINISHED,
                error=(outcome.error or "The video service reported an error.")[:2000],
                finished_at="now()",
            )
            repo.refund_for_job(conn, job["id"])
            return "applied"

    def _locked_job(
        self, conn: psycopg.Connection, job_id: UUID | None, request_id: str
    ) -> dict | None:
        if job_id is not None:
            return repo.lock_job(conn, job_id)
        row = conn.execute(
            "select id from public.jobs where fal_request_id = %s", (request_id,)
        ).fetchone()
        return repo.lock_job(conn, row["id"]) if row else None

    def _complete(self, conn: psycopg.Connection, job: dict, outcome: FalOutcome) -> str:
        if not outcome.video_url:
            repo.advance(
                conn,
                job["id"],
                "failed",
                from_statuses=UNFINISHED,
                error="The video service finished without a video.",
                finished_at="now()",
            )
            repo.refund_for_job(conn, job["id"])
            return "applied"
        if job["user_id"] is None:  # the account was deleted meanwhile: keep no video
            repo.advance(
                conn, job["id"], "completed", from_statuses=UNFINISHED, finished_at="now()"
            )
            return "applied"
        policy = self.media_policy
        video = media.download(
            outcome.video_url,
            allowed_hosts=policy.allowed_hosts,
            allow_http=policy.allow_http,
            max_bytes=policy.max_bytes,
            timeout=policy.timeout,
        )
        key = video_key(job["user_id"], job["id"])
        try:
            self.store.put_file(key, video.path, video.content_type, video.sha256)
            try:
                conn.execute(
                    """insert into public.files
                         (job_id, user_id, bucket, object_key, content_type, size_bytes, sha256)
                       values (%s, %s, %s, %s, %s, %s, %s)""",
                    (
                        job["id"],
                        job["user_id"],
                        self.store.bucket,
                        key,
                        video.content_type,
                        video.size_bytes,
                        video.sha256,
                    ),
                )
                repo.advance(
                    conn,
                    job["id"],
                    "completed",
                    from_statuses=UNFINISHED,
                    error=None,
                    finished_at="now()",
                )
                conn.commit()
            except BaseException:
                _delete_quietly(self.store, key)
                raise
        finally:
            video.path.unlink(missing_ok=True)
        logger.info(
            "video stored",
            extra={"job_id": str(job["id"]), "size_bytes": video.size_bytes, "key": key},
        )
        return "applied"


def _delete_quietly(store: ObjectStore, key: str) -> None:
    """Undoes an upload; if storage is down too, the same key is overwritten on the retry."""
    try:
        store.delete(key)
    except Exception:
        logger.warning("could not remove an uncommitted upload", extra={"key": key})
