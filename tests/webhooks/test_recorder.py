"""What the delivery recorder (videogen.webhooks.recorder) does with fal's word about a job,
called as the webhook and reconciliation call it: every branch, its outcome, the job's new
state and error text, the budget ledger and the audit row. Pins what the HTTP tests let through
(make mutate)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from videogen.db import get_database
from videogen.webhooks.recorder import DeliveryRecorder, FalOutcome, RecordResult, RequestMismatch

EVENT = {"gateway_request_id": "gw-1", "payload_status": "OK", "detail": "seen"}


def record(job_id: str | UUID, outcome: FalOutcome, event: dict | None = None) -> RecordResult:
    return DeliveryRecorder(get_database()).record(UUID(str(job_id)), outcome, event=event)


def job(db, job_id: str) -> tuple:
    return db.execute(
        "select status, error, result_url from public.jobs where id = %s", (job_id,)
    ).fetchone()


def used(db, job_id: str) -> int:
    row = db.execute(
        "select coalesce(sum(b.used), 0) from public.budget_balances b"
        " join public.jobs j on j.user_id = b.scope_key"
        " where b.scope = 'student_videos' and j.id = %s",
        (job_id,),
    ).fetchone()
    return int(row[0])


def events(db) -> list[tuple]:
    return db.execute(
        "select request_id, gateway_request_id, job_id::text, payload_status, outcome, detail"
        " from public.webhook_events order by id"
    ).fetchall()


@pytest.mark.parametrize("status", ["queued", "submitted", "in_progress"])
def test_ok_outcome_with_a_video_moves_an_unfinished_job_to_finishing(
    submitted, db, status: str
) -> None:
    _, created, request_id = submitted
    db.execute("update public.jobs set status = %s where id = %s", (status, created["id"]))
    result = record(created["id"], FalOutcome((request_id,), ok=True, video_url="https://v/1.mp4"))
    assert result == RecordResult("finishing", True)
    assert job(db, created["id"]) == ("finishing", None, "https://v/1.mp4")


def test_ok_outcome_to_fetch_from_the_queue_moves_the_job_to_finishing(submitted, db) -> None:
    _, created, request_id = submitted
    result = record(created["id"], FalOutcome((request_id,), ok=True, fetch_result=True))
    assert result == RecordResult("finishing", True)
    assert job(db, created["id"]) == ("finishing", None, None)


def test_ok_outcome_without_a_video_fails_the_job_and_refunds(submitted, db) -> None:
    _, created, request_id = submitted
    assert used(db, created["id"]) == 1
    result = record(created["id"], FalOutcome((request_id,), ok=True))
    assert result == RecordResult("failed", False)
    assert job(db, created["id"])[:2] == ("failed", "The video service finished without a video.")
    assert used(db, created["id"]) == 0


@pytest.mark.parametrize(
    ("error", "text"),
    [("Model crashed", "Model crashed"), (None, "The video service reported an error.")],
)
def test_error_outcome_fails_the_job_with_fals_text_or_a_generic_one(
    submitted, db, error: str | None, text: str
) -> None:
    _, created, request_id = submitted
    result = record(created["id"], FalOutcome((request_id,), ok=False, error=error))
    assert result == RecordResult("failed", False)
    assert job(db, created["id"])[:2] == ("failed", text)
    assert used(db, created["id"]) == 0


def test_error_after_a_cancel_request_cancels_the_job(submitted, db) -> None:
    _, created, request_id = submitted
    db.execute("update public.jobs set cancel_requested_at = now() where id = %s", (created["id"],))
    result = record(created["id"], FalOutcome((request_id,), ok=False, error="Cancelled by fal"))
    assert result == RecordResult("cancelled", False)
    assert job(db, created["id"])[:2] == ("cancelled", "Cancelled at your request.")
    assert used(db, created["id"]) == 0


def test_a_video_after_a_cancel_request_is_still_kept(submitted, db) -> None:
    """The user asked too late: fal finished, the video was paid for, the copy goes ahead."""
    _, created, request_id = submitted
    db.execute("update public.jobs set cancel_requested_at = now() where id = %s", (created["id"],))
    result = record(created["id"], FalOutcome((request_id,), ok=True, video_url="https://v/1.mp4"))
    assert result == RecordResult("finishing", True)


def test_repeated_outcomes_are_duplicates_and_write_no_event(submitted, db) -> None:
    _, created, request_id = submitted
    ok = FalOutcome((request_id,), ok=True, video_url="https://v/1.mp4")
    assert record(created["id"], ok, EVENT) == RecordResult("finishing", True)
    assert record(created["id"], ok, EVENT) == RecordResult("duplicate", True)  # re-queue the copy
    db.execute("update public.jobs set status = 'completed' where id = %s", (created["id"],))
    assert record(created["id"], ok, EVENT) == RecordResult("duplicate", False)
    assert events(db) == [(request_id, "gw-1", created["id"], "OK", "finishing", "seen")]


def test_outcome_for_an_unknown_job_is_recorded_without_a_job(db) -> None:
    result = record(uuid4(), FalOutcome(("req-x",), ok=False), EVENT)
    assert result == RecordResult("unknown_job", False)
    assert events(db) == [("req-x", "gw-1", None, "OK", "unknown_job", "seen")]


def test_unbound_queued_job_is_bound_to_the_reported_request(submitted, db) -> None:
    """fal answered before the submit stored its id: the job takes the request id."""
    _, created, _ = submitted
    db.execute(
        "update public.jobs set fal_request_id = null, status = 'queued' where id = %s",
        (created["id"],),
    )
    result = record(created["id"], FalOutcome(("req-new",), ok=False, error="boom"))
    assert result == RecordResult("failed", False)
    row = db.execute(
        "select fal_request_id from public.jobs where id = %s", (created["id"],)
    ).fetchone()
    assert row == ("req-new",)


def test_request_of_another_job_or_a_started_unbound_job_is_a_mismatch(
    submitted, generations, make_user, db
) -> None:
    _, created, request_id = submitted
    other = generations.post(
        "/generations",
        json={"model": "fal-ai/ltx-video", "prompt": "x"},
        headers=make_user().headers,
    ).json()
    # A bound job and another request id (neither fal's id nor its gateway id).
    with pytest.raises(RequestMismatch):
        record(created["id"], FalOutcome(("req-elsewhere", "gw-elsewhere"), ok=False))
    # The gateway request id (second) matching is accepted.
    assert record(created["id"], FalOutcome(("gw-x", request_id), ok=False)).outcome == "failed"
    # An unbound job may not take a request id another job holds...
    db.execute(
        "update public.jobs set fal_request_id = null, status = 'queued' where id = %s",
        (other["id"],),
    )
    with pytest.raises(RequestMismatch):
        record(other["id"], FalOutcome((request_id,), ok=False))
    # ...nor any request once it is no longer queued.
    db.execute("update public.jobs set status = 'submitted' where id = %s", (other["id"],))
    with pytest.raises(RequestMismatch):
        record(other["id"], FalOutcome(("req-free",), ok=False))
    assert job(db, other["id"])[0] == "submitted"
