"""Reconciliation: jobs whose webhook never came are finished by asking fal's queue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.aging import age_jobs
from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal
from tests.support.handlers import load_handler

pytestmark = pytest.mark.lambda_runtime


def submit(generations: TestClient, user, prompt: str = "waves") -> str:
    response = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": prompt}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def age(db, job_id: str, minutes: int = 30) -> None:
    age_jobs(db, minutes, job_id)


def run_reconcile() -> dict:
    return load_handler("reconcile").handler({"source": "aws.scheduler"}, None)


def status_of(db, job_id: str) -> tuple:
    return db.execute(
        "select status, error, started_at is not null from public.jobs where id = %s", (job_id,)
    ).fetchone()


def test_missed_webhooks_are_finished_through_the_same_path(
    generations, fal: FakeFal, make_user, db
) -> None:
    user = make_user(role="teacher")
    done, failed, running, waiting, fresh = (submit(generations, user, f"p{i}") for i in range(5))
    for job_id in (done, failed, running, waiting):
        age(db, job_id)
    requests = list(fal.requests.values())
    requests[0].state = "COMPLETED"
    requests[1].state, requests[1].error = "COMPLETED", "NSFW content detected"
    requests[2].state = "IN_PROGRESS"
    requests[4].state = "COMPLETED"  # not old enough: left for its webhook

    summary = run_reconcile()

    assert summary == {
        "checked": 4,
        "finished_finishing": 1,
        "finished_failed": 1,
        "in_progress": 1,
        "still_queued": 1,
    }
    assert status_of(db, done)[0] == "finishing"  # the copy goes through the copy queue
    assert run_copy_worker() == 1
    assert status_of(db, done)[0] == "completed"
    assert db.execute(
        "select count(*) from public.files where job_id = %s", (done,)
    ).fetchone() == (1,)
    assert status_of(db, failed)[:2] == ("failed", "NSFW content detected")
    assert status_of(db, running) == ("in_progress", None, True)
    assert status_of(db, waiting)[0] == "submitted"
    assert status_of(db, fresh)[0] == "submitted"
    # a webhook arriving afterwards is a harmless duplicate
    webhooks = TestClient(load_handler("webhooks").app)
    request_id = next(iter(fal.requests))
    body, headers = fal.delivery(request_id)
    late = webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)
    assert late.json() == {"outcome": "duplicate"}
    assert run_copy_worker() == 0


def test_job_never_confirmed_by_fal_waits_for_its_webhook_then_is_refunded(
    generations, fal: FakeFal, make_user, db
) -> None:
    """A job with no request id may still be running at fal (the submit's answer was lost):
    it waits for fal's webhook through fal's delivery window, and is never submitted again."""
    user = make_user()
    job_id = submit(generations, user)
    # as if the process died between fal's answer and our write
    db.execute(
        "update public.jobs set status = 'queued', fal_request_id = null, submitted_at = null"
        " where id = %s",
        (job_id,),
    )
    age(db, job_id)
    assert run_reconcile() == {"checked": 1, "awaiting_webhook": 1}
    assert status_of(db, job_id)[0] == "queued"
    age(db, job_id, minutes=4 * 60)  # past SUBMIT_UNCONFIRMED_GRACE_SECONDS (3 h)
    db.execute("update public.jobs set last_checked_at = null where id = %s", (job_id,))
    assert run_reconcile() == {"checked": 1, "given_up": 1}
    assert status_of(db, job_id)[0] == "failed"
    held = db.execute(  # whichever day the moved job's unit is counted on: given back
        "select coalesce(sum(used), 0)::int from public.budget_balances"
        " where scope = 'student_videos' and scope_key = %s",
        (user.id,),
    ).fetchone()
    assert held == (0,)
    assert len(fal.submits) == 1


def test_fal_down_during_reconciliation_keeps_jobs_for_next_run(
    generations, fal: FakeFal, make_user, db
) -> None:
    job_id = submit(generations, make_user())
    age(db, job_id)
    fal.close()
    assert run_reconcile() == {"checked": 1, "error": 1}
    assert status_of(db, job_id)[0] == "submitted"
