"""The copy worker: fal's video into our storage, then the job completed, for one task.

Nothing is held while bytes move: the job is read in one short transaction, the video is
downloaded and uploaded with no transaction open and no pooled connection taken, and the
`files` row and the status change are written together in a second short transaction
under the job's row lock. A job no longer `finishing` by then (already completed by a
duplicate task), or whose account is being erased or is gone (account/erasure.py), keeps
nothing: the upload is removed, and an upload this fails to remove is left to the orphan
sweep (storage/sweep.py).

Outcomes: `completed`; `failed` (a permanent refusal — host not allowed, not a video, too
large, fal refusing the result — fails the job and refunds the user at once); `skipped`
(nothing to do); `retry` (a transient failure: the queue tries again later, and after the
last attempt the task goes to the dead-letter queue while the job stays `finishing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from videogen import logs, metrics
from videogen.account import erasure
from videogen.db import Database
from videogen.errors import AppError, ServiceUnavailable
from videogen.generations import repository as repo
from videogen.generations.provider import GenerationProvider, ProviderRejected
from videogen.storage.base import ObjectStore, video_key
from videogen.webhooks import media

logger = logging.getLogger(__name__)

CopyOutcome = Literal["completed", "failed", "skipped", "retry"]
#: Where the copy stands when `CopyWorker.checkpoint` is called: the video `uploaded` (no
#: transaction open), then `storing` (the job locked, the `files` row written, not committed).
CopyStage = Literal["uploaded", "storing"]


def _no_checkpoint(stage: CopyStage, job_id: UUID) -> None:
    return None


@dataclass
class MediaPolicy:
    allowed_hosts: list[str]
    allow_http: bool
    max_bytes: int
    timeout: float


def video_url_of(output: Any) -> str | None:
    """The video URL in a model's output (`{"video": {"url": …}}` for every catalogue model)."""
    video = output.get("video") if isinstance(output, dict) else None
    url = video.get("url") if isinstance(video, dict) else None
    return url if isinstance(url, str) and url else None


@dataclass
class CopyWorker:
    db: Database
    store: ObjectStore
    provider_factory: Callable[[], GenerationProvider]
    media_policy: MediaPolicy
    #: Called at each `CopyStage`: the seam through which tests interleave an account
    #: deletion with a copy at an exact point (tests/account/test_erasure_race.py).
    checkpoint: Callable[[CopyStage, UUID], None] = _no_checkpoint

    def process(
        self,
        job_id: UUID,
        *,
        attempt: int = 1,
        max_attempts: int = 1,
        origin_request_id: str | None = None,
    ) -> CopyOutcome:
        """Copies one task's video; every line logged meanwhile names the job and the
        request (webhook delivery or reconcile run) that queued the task."""
        with logs.bind(job_id=job_id, origin_request_id=origin_request_id):
            return self._process(job_id, attempt, max_attempts)

    def _process(self, job_id: UUID, attempt: int, max_attempts: int) -> CopyOutcome:
        log = {"job_id": str(job_id), "attempt": attempt}
        try:
            return self._copy(job_id)
        except (media.MediaRefused, ProviderRejected) as exc:
            try:
                self._fail(job_id, exc.message)
            except ServiceUnavailable:
                return self._retry(log, "database_unavailable", attempt, max_attempts)
            logger.warning(
                "video refused; job failed and refunded", extra={**log, "code": exc.code}
            )
            metrics.copy_failed("permanent", exc.code)
            return "failed"
        except AppError as exc:  # outages (storage, media host, fal, database) and the rest
            return self._retry(log, exc.code, attempt, max_attempts)
        except Exception:
            logger.exception("copy failed unexpectedly", extra=log)
            return self._retry(log, "internal_error", attempt, max_attempts)

    def _retry(
        self, log: dict[str, Any], code: str, attempt: int, max_attempts: int
    ) -> CopyOutcome:
        if attempt >= max_attempts:  # the queue moves the task to its dead-letter queue
            logger.error("copy attempts exhausted", extra={**log, "code": code})
            metrics.copy_failed("exhausted", code)
        else:
            logger.warning("copy failed; will retry", extra={**log, "code": code})
            metrics.copy_failed("transient", code)
        return "retry"

    def _copy(self, job_id: UUID) -> CopyOutcome:
        with self.db.connection() as conn:
            job = repo.work_job(conn, job_id)
            owner = job["user_id"] if job is not None else None
            erasing = owner is not None and erasure.is_erasing(conn, owner)
        if job is None or job["status"] != "finishing":
            return "skipped"  # a duplicate task, or the job ended meanwhile
        url = job["result_url"]
        if url is None:  # fal could not put the output in its delivery: ask its queue
            output = self.provider_factory().result(job["model"], job["fal_request_id"])
            url = video_url_of(output)
            if url is None:
                self._fail(job_id, "The video service finished without a video.")
                metrics.copy_failed("permanent", "no_video")
                return "failed"
        if owner is None or erasing:  # the account is deleted or being deleted: no video
            with self.db.connection() as conn:
                repo.complete(conn, job_id)
            return "completed"
        policy = self.media_policy
        video = media.download(
            url,
            allowed_hosts=policy.allowed_hosts,
            allow_http=policy.allow_http,
            max_bytes=policy.max_bytes,
            timeout=policy.timeout,
        )
        key = video_key(job["user_id"], job_id)
        try:
            self.store.put_file(key, video.path, video.content_type, video.sha256)
        finally:
            video.path.unlink(missing_ok=True)
        try:
            self.checkpoint("uploaded", job_id)
            with self.db.connection() as conn:
                current = repo.lock_job(conn, job_id)
                # Under the lock: a deletion that began has marked the account (it locks
                # the account's jobs to do so, so it waits for this transaction otherwise).
                if (
                    current is None
                    or current["status"] != "finishing"
                    or not current["user_id"]
                    or erasure.is_erasing(conn, current["user_id"])
                ):
                    conn.rollback()
                    _delete_quietly(self.store, key)
                    return "skipped"
                conn.execute(
                    """insert into public.files
                         (job_id, user_id, bucket, object_key, content_type, size_bytes, sha256)
                       values (%s, %s, %s, %s, %s, %s, %s)""",
                    (
                        job_id,
                        current["user_id"],
                        self.store.bucket,
                        key,
                        video.content_type,
                        video.size_bytes,
                        video.sha256,
                    ),
                )
                repo.complete(conn, job_id, error=None)
                self.checkpoint("storing", job_id)
        except BaseException:
            _delete_quietly(self.store, key)
            raise
        # From the webhook's recording of the outcome (the job's last change, to
        # `finishing`) to the file stored: what the user waits for after fal is done.
        latency = datetime.now(UTC) - current["updated_at"]
        metrics.copy_succeeded(latency.total_seconds() * 1000)
        logger.info("video stored", extra={"job_id": str(job_id), "size_bytes": video.size_bytes})
        return "completed"

    def _fail(self, job_id: UUID, error: str) -> None:
        with self.db.connection() as conn:
            repo.fail_and_refund(conn, job_id, error, from_statuses=("finishing",))


def _delete_quietly(store: ObjectStore, key: str) -> None:
    """Undoes an upload; if storage is down too, the same key is overwritten on the retry."""
    try:
        store.delete(key)
    except Exception:
        logger.warning("could not remove an uncommitted upload", extra={"key": key})
