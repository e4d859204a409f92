"""An admin's actions on a stuck job, instead of hand-written SQL (issue 14, "Day two").

- fail: the job ends `failed` (`error_code` `failed_by_admin`, the reason as its error) and
  its budget reservation is released, through `fail_and_refund`, the same statement as the webhook,
  reconciliation and the copy worker use: under the job's row lock, only from an unfinished
  status, so the reservation is released once whatever else arrives. fal is asked to cancel the
  request first (a queued one is removed; a running one only gets a signal it may ignore:
  https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request); fal
  unreachable does not stop the failure. A late webhook then finds the job final: a
  duplicate, nothing changes (webhooks/recorder.py). The same fail sent again (same reason)
  answers the recorded action, changing nothing.
- recheck: fal's queue status now, settled by `ask_fal`, reconciliation's code for one job.
  fal unreachable: 503, nothing changed.

Every action is recorded (`job_admin_actions`: who, when, why, what fal said) in the
transaction of the change, and counted (`AdminJobAction`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen import logs, metrics
from videogen.admin import repository as actions
from videogen.admin.models import AdminActionOut, JobActionOut
from videogen.copies.queue import CopyQueue, CopyTask, QueueUnavailable
from videogen.db import Database
from videogen.errors import AppError, NotFound
from videogen.generations import repository as repo
from videogen.generations.models import FINAL_STATUSES
from videogen.generations.provider import GenerationProvider, ProviderUnavailable
from videogen.generations.service import GenerationService
from videogen.webhooks.fal_check import ask_fal
from videogen.webhooks.recorder import DeliveryRecorder

if TYPE_CHECKING:
    from videogen.db import Connection

logger = logging.getLogger(__name__)

FAILED_BY_ADMIN = "failed_by_admin"


class JobNotFound(NotFound):
    code = "job_not_found"
    message = "No such job."


class JobFinished(AppError):
    status_code = 409
    code = "job_finished"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"This job is already {status}: there is nothing left to fail or re-check.",
            details={"status": status},
        )


class FalUnreachable(ProviderUnavailable):
    message = "fal could not be reached, so nothing was changed; try again shortly."


@dataclass
class JobActions:
    db: Database
    provider_factory: Callable[[], GenerationProvider]  # built on first use
    recorder: DeliveryRecorder
    copy_queue: CopyQueue
    generations: GenerationService  # presents the job as the job routes do

    def fail(
        self, admin_id: UUID, job_id: UUID, reason: str, *, school: UUID | None
    ) -> JobActionOut:
        """`school`: the caller's scope (Member.scope); another school's job is not found."""
        with logs.bind(job_id=job_id):
            self._in_reach(job_id, school)
            job = self._unfinished_or_replay(job_id, reason)
            if isinstance(job, JobActionOut):
                return job
            fal_answer = self._cancel_at_fal(job)
            with self.db.connection() as conn:
                failed = repo.fail_and_refund(conn, job_id, reason, error_code=FAILED_BY_ADMIN)
                if failed:
                    action = actions.insert_action(
                        conn,
                        job_id=job_id,
                        admin_id=admin_id,
                        action="fail",
                        outcome="failed",
                        reason=reason,
                        fal_answer=fal_answer,
                    )
            if not failed:  # it finished meanwhile (a webhook, the copy worker, another admin)
                replay = self._unfinished_or_replay(job_id, reason)
                assert isinstance(replay, JobActionOut)  # finished: replayed, or refused
                return replay
            logger.info("job failed by an admin", extra={"fal_answer": fal_answer})
            metrics.admin_job_action("fail", outcome="failed", fal_answer=fal_answer)
            return self._answer(job_id, action)

    def recheck(self, admin_id: UUID, job_id: UUID, *, school: UUID | None) -> JobActionOut:
        with logs.bind(job_id=job_id):
            self._in_reach(job_id, school)
            with self.db.connection() as conn:
                job = repo.work_job(conn, job_id)
            if job is None:
                raise JobNotFound()
            if job["status"] in FINAL_STATUSES:
                raise JobFinished(job["status"])
            outcome, fal_answer = self._check(job)
            with self.db.connection() as conn:
                action = actions.insert_action(
                    conn,
                    job_id=job_id,
                    admin_id=admin_id,
                    action="recheck",
                    outcome=outcome,
                    fal_answer=fal_answer,
                )
            logger.info("job re-checked by an admin", extra={"outcome": outcome})
            metrics.admin_job_action("recheck", outcome=outcome, fal_answer=fal_answer)
            return self._answer(job_id, action)

    # --- steps ---
    def _in_reach(self, job_id: UUID, school: UUID | None) -> None:
        with self.db.connection() as conn:
            if not actions.job_in_reach(conn, job_id, school):
                raise JobNotFound()

    def _unfinished_or_replay(self, job_id: UUID, reason: str) -> dict[str, Any] | JobActionOut:
        """The unfinished job; for a finished one, the recorded fail if this request repeats
        it (same reason), else 409."""
        with self.db.connection() as conn:
            job = repo.work_job(conn, job_id)
            if job is None:
                raise JobNotFound()
            if job["status"] not in FINAL_STATUSES:
                return job
            previous = actions.last_fail(conn, job_id)
            if previous is None or previous["reason"] != reason or job["status"] != "failed":
                raise JobFinished(job["status"])
        return self._answer(job_id, previous, replayed=True)

    def _cancel_at_fal(self, job: dict[str, Any]) -> str | None:
        """Asks fal to stop the request; what it answered (None: nothing to cancel). The
        job is failed whatever fal says: the admin decided."""
        if job["fal_request_id"] is None or job["status"] == "finishing":
            return None  # not handed over (or unconfirmed), or fal already finished it
        try:
            return self.provider_factory().cancel(job["model"], job["fal_request_id"])
        except ProviderUnavailable as exc:
            logger.warning("cancel at fal not done", extra={"code": exc.code})
            return "unreachable"
        except AppError as exc:
            logger.warning("cancel at fal refused", extra={"code": exc.code})
            return "refused"

    def _check(self, job: dict[str, Any]) -> tuple[str, str | None]:
        """(outcome, fal's answer), as reconciliation checks one job, minus its counting."""
        if job["status"] == "finishing":  # fal said OK; the copy stalled: queue it again
            self._queue_copy(job["id"])
            return "copy_requeued", None
        if job["fal_request_id"] is None:
            return "not_submitted", None  # its webhook binds the request, or fail it
        try:
            check = ask_fal(
                job,
                provider=self.provider_factory(),
                db=self.db,
                recorder=self.recorder,
                copy_queue=self.copy_queue,
            )
        except ProviderUnavailable as exc:
            raise FalUnreachable() from exc
        except QueueUnavailable:  # recorded as finishing; reconciliation re-queues the copy
            logger.warning("copy not queued after a re-check", extra={"code": "queue_unavailable"})
            return "finished_finishing", "COMPLETED"
        return check.result, check.status.state

    def _queue_copy(self, job_id: UUID) -> None:
        try:
            self.copy_queue.send(CopyTask(job_id, origin_request_id=logs.request_id()))
        except QueueUnavailable as exc:
            raise AppError(
                "The copy queue is unavailable; nothing was changed. Try again shortly.",
                code="queue_unavailable",
                status_code=503,
                headers={"Retry-After": "5"},
            ) from exc

    def _answer(
        self, job_id: UUID, action: dict[str, Any], *, replayed: bool = False
    ) -> JobActionOut:
        with self.db.connection() as conn:
            row = _job_row(conn, job_id)
        return JobActionOut(
            job=self.generations.to_out(row),
            action=AdminActionOut.model_validate(action),
            replayed=replayed,
        )


def _job_row(conn: Connection, job_id: UUID) -> dict[str, Any]:
    row = repo.get_job(conn, job_id)
    if row is None:  # jobs are never deleted
        raise JobNotFound()
    return row
