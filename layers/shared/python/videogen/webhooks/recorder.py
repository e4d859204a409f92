"""Records fal's word about a job in one short transaction: one code path for webhooks and
for the reconciliation that polls fal when a webhook never came.

Deliveries for one job serialize on the job's row lock. An OK result moves the job to
`finishing` (the copy worker completes it); an ERROR fails it and releases its reservation
(or cancels it, when the user had asked to). A job already final, or already
`finishing`, is left alone, so repeated or concurrent deliveries change state once. No
network call happens here: the webhook answers fal at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from videogen.db import Database
from videogen.errors import AppError
from videogen.generations import repository as repo
from videogen.generations.models import FINAL_STATUSES
from videogen.webhooks.events import insert_event

if TYPE_CHECKING:
    from videogen.db import Connection

Recorded = Literal["finishing", "failed", "cancelled", "duplicate", "unknown_job"]


class RequestMismatch(AppError):
    status_code = 409
    code = "request_mismatch"
    message = "This delivery's request belongs to another job."


@dataclass(frozen=True)
class FalOutcome:
    request_ids: tuple[str, ...]  # fal's request id, and its gateway request id if it differs
    ok: bool
    video_url: str | None = None
    fetch_result: bool = False  # OK, but fal could not serialize the payload: ask its queue
    error: str | None = None

    @property
    def request_id(self) -> str:
        return self.request_ids[0]


@dataclass(frozen=True)
class RecordResult:
    outcome: Recorded
    needs_copy: bool  # a copy task must be (re)queued for this job


@dataclass
class DeliveryRecorder:
    db: Database

    def record(
        self, job_id: UUID, outcome: FalOutcome, *, event: dict[str, Any] | None = None
    ) -> RecordResult:
        """Applies the outcome; with `event`, the delivery's audit row commits with it (a
        duplicate writes nothing: fal's retries cost one indexed lookup)."""
        with self.db.connection() as conn:
            result = self._apply(conn, job_id, outcome)
            if event is not None and result.outcome != "duplicate":
                insert_event(
                    conn,
                    request_id=outcome.request_id,
                    job_id=job_id,
                    outcome=result.outcome,
                    gateway_request_id=event.get("gateway_request_id"),
                    payload_status=event.get("payload_status"),
                    detail=event.get("detail"),
                )
        return result

    def _apply(self, conn: Connection, job_id: UUID, outcome: FalOutcome) -> RecordResult:
        job = repo.lock_job(conn, job_id)
        if job is None:
            return RecordResult("unknown_job", False)
        if job["fal_request_id"] is None:
            # fal answered before our submit stored the id, or the submit's answer was lost
            if job["status"] != "queued" or repo.request_id_taken(conn, outcome.request_id, job_id):
                raise RequestMismatch()
            repo.bind_request(conn, job_id, outcome.request_id)
        elif job["fal_request_id"] not in outcome.request_ids:
            raise RequestMismatch()
        if job["status"] in FINAL_STATUSES:
            return RecordResult("duplicate", False)
        if job["status"] == "finishing":
            return RecordResult("duplicate", True)  # a retried delivery re-queues the copy
        if outcome.ok and (outcome.video_url or outcome.fetch_result):
            repo.advance(
                conn,
                job_id,
                "finishing",
                from_statuses=("queued", "submitted", "in_progress"),
                result_url=outcome.video_url,
            )
            return RecordResult("finishing", True)
        if job["cancel_requested_at"] is not None and not outcome.ok:
            repo.fail_and_refund(conn, job_id, "Cancelled at your request.", status="cancelled")
            return RecordResult("cancelled", False)
        error = outcome.error if not outcome.ok else "The video service finished without a video."
        repo.fail_and_refund(conn, job_id, error or "The video service reported an error.")
        return RecordResult("failed", False)
