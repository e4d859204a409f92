"""An admin acts on a stuck job (issue 14, "Day two"): fail it with a reason and refund it,
or re-check it at fal now. Through the admin function's app, fal faked at its HTTP boundary
(tests/support/fal.py: queue status, result and cancel as fal documents them)."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.apigw import http_api_event, invoke
from tests.support.copies import run_copy_worker
from tests.support.emf import emf_records, named
from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.support.schools import error as error_of

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def jobs(generations: TestClient, fal: FakeFal, make_user):  # type: ignore[no-untyped-def]
    """Submits jobs for a student; returns (submit(prompt) -> (job id, request id), student)."""
    student = make_user()

    def make(prompt: str = "a volcano") -> tuple[str, str]:
        before = set(fal.requests)
        response = generations.post(
            "/generations",
            json={"model": "fal-ai/ltx-video", "prompt": prompt},
            headers=student.headers,
        )
        assert response.status_code == 201, response.text
        (request_id,) = set(fal.requests) - before
        return response.json()["id"], request_id

    return make, student


def used_today(db: psycopg.Connection, user) -> int:  # type: ignore[no-untyped-def]
    row = db.execute(
        "select coalesce(sum(used), 0)::int from public.budget_balances"
        " where scope = 'student_videos' and scope_key = %s",
        (user.id,),
    ).fetchone()
    return row[0] if row else 0


def job_row(db: psycopg.Connection, job_id: str) -> tuple:
    return db.execute(
        "select status, error, error_code from public.jobs where id = %s", (job_id,)
    ).fetchone()


def audit(db: psycopg.Connection, job_id: str) -> list[tuple]:
    return db.execute(
        """select action, admin_id, reason, outcome, fal_answer from public.job_admin_actions
           where job_id = %s order by id""",
        (job_id,),
    ).fetchall()


def deliver(webhooks: TestClient, fal: FakeFal, request_id: str, **kwargs: Any) -> dict:
    body, headers = fal.delivery(request_id, **kwargs)
    response = webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- fail -----------------------------------------------------------------------------


def test_admin_fails_a_queued_job_refunds_it_once_and_fal_removes_it(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks, capsys
) -> None:
    submit_job, student = jobs
    stuck, request_id = submit_job("stuck")
    other, _ = submit_job("fine")
    admin = make_user(role="admin")
    assert used_today(db, student) == 2

    response = admin_api.post(
        f"/admin/jobs/{stuck}/fail",
        json={"reason": "  fal outage, refunded  "},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["replayed"] is False
    assert answer["job"]["id"] == stuck
    assert answer["job"]["status"] == "failed"
    assert answer["job"]["error"] == "fal outage, refunded"
    assert answer["job"]["error_code"] == "failed_by_admin"
    assert answer["job"]["finished_at"] is not None
    action = answer["action"]
    assert action["action"] == "fail" and action["outcome"] == "failed"
    assert action["reason"] == "fal outage, refunded"
    assert action["admin_id"] == str(admin.id)
    assert action["fal_answer"] == "CANCELLATION_REQUESTED"
    assert fal.cancels == [request_id]
    assert fal.requests[request_id].error == "Request was cancelled."  # removed from the queue
    assert used_today(db, student) == 1  # one unit back, the other job's kept
    assert job_row(db, other)[0] == "submitted"
    assert audit(db, stuck) == [
        ("fail", admin.id, "fal outage, refunded", "failed", "CANCELLATION_REQUESTED")
    ]
    (metric,) = named(emf_records(capsys.readouterr().out), "AdminJobAction")
    assert metric.dimensions == {"Action": "fail"}
    assert metric.values == {"AdminJobAction": 1}
    assert metric.record["job_id"] == stuck and metric.record["outcome"] == "failed"

    # the same request again (a retried click): the recorded action, nothing refunded again
    again = admin_api.post(
        f"/admin/jobs/{stuck}/fail", json={"reason": "fal outage, refunded"}, headers=admin.headers
    )
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert again.json()["action"] == action
    assert used_today(db, student) == 1
    assert fal.cancels == [request_id]
    assert len(audit(db, stuck)) == 1
    assert named(emf_records(capsys.readouterr().out), "AdminJobAction") == []

    # fal's delivery of the cancelled request comes late: a duplicate, nothing changes
    assert deliver(webhooks, fal, request_id, ok=False, error="Request was cancelled.") == {
        "outcome": "duplicate"
    }
    assert job_row(db, stuck) == ("failed", "fal outage, refunded", "failed_by_admin")
    assert used_today(db, student) == 1


def test_a_late_ok_webhook_does_not_bring_a_failed_job_back(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks
) -> None:
    """fal may ignore the cancel of a running request and deliver its video afterwards:
    the recorder's exactly-once rule (a final job is a duplicate) keeps the admin's word."""
    submit_job, student = jobs
    job_id, request_id = submit_job()
    fal.requests[request_id].state = "IN_PROGRESS"
    admin = make_user(role="admin")

    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": "runs for an hour"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["action"]["fal_answer"] == "CANCELLATION_REQUESTED"  # asked only
    assert fal.requests[request_id].state == "IN_PROGRESS"  # it runs on, as fal documents
    assert used_today(db, student) == 0

    fal.requests[request_id].state = "COMPLETED"
    assert deliver(webhooks, fal, request_id) == {"outcome": "duplicate"}
    assert run_copy_worker() == 0  # no copy queued
    assert job_row(db, job_id) == ("failed", "runs for an hour", "failed_by_admin")
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    assert used_today(db, student) == 0
    assert fal.media_fetches == 0


def test_a_finishing_job_failed_by_an_admin_is_not_completed_by_the_copy_worker(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks
) -> None:
    """fal said OK and a copy task is queued: the admin's failure wins, fal is not asked to
    cancel what it finished, and the worker leaves the job alone."""
    submit_job, student = jobs
    job_id, request_id = submit_job()
    fal.requests[request_id].state = "COMPLETED"
    assert deliver(webhooks, fal, request_id) == {"outcome": "finishing"}
    admin = make_user(role="admin")

    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": "copy keeps failing"}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["action"]["fal_answer"] is None
    assert fal.cancels == []
    run_copy_worker()
    assert job_row(db, job_id) == ("failed", "copy keeps failing", "failed_by_admin")
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    assert used_today(db, student) == 0


def test_fal_unreachable_does_not_stop_the_failure(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    submit_job, student = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    fal.close()  # connection refused

    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": "fal is down"}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["action"]["fal_answer"] == "unreachable"
    assert job_row(db, job_id) == ("failed", "fal is down", "failed_by_admin")
    assert used_today(db, student) == 0


def test_a_job_fal_never_confirmed_is_failed_without_asking_fal(
    admin_api: TestClient, fal: FakeFal, make_user, db
) -> None:
    """`queued` with no request id (the submit's answer was lost): nothing to cancel."""
    student, admin = make_user(), make_user(role="admin")
    (job_id,) = db.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'fal-ai/ltx-video', 'p')"
        " returning id",
        (student.id,),
    ).fetchone()
    db.execute(  # what the submission reserved with the job row
        "select * from public.budget_reserve(%s, %s, null, null, 0.02)", (job_id, student.id)
    )
    assert used_today(db, student) == 1

    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": "never confirmed"}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["action"]["fal_answer"] is None
    assert fal.cancels == []
    assert used_today(db, student) == 0


def test_concurrent_fails_refund_once(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    """Two admins (or two tabs) at once: the row lock lets one fail and refund; the other
    answers the recorded action."""
    submit_job, student = jobs
    job_id, _ = submit_job()
    submit_job("another")  # used 2: a second refund would show
    admin = make_user(role="admin")
    answers: list[Any] = []
    start = threading.Barrier(4)

    def fail() -> None:
        start.wait()
        answers.append(
            admin_api.post(
                f"/admin/jobs/{job_id}/fail", json={"reason": "twice"}, headers=admin.headers
            )
        )

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200] * 4
    assert sorted(a.json()["replayed"] for a in answers) == [False, True, True, True]
    assert used_today(db, student) == 1
    assert len(audit(db, job_id)) == 1


def test_failing_a_finished_job_is_409(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks
) -> None:
    submit_job, student = jobs
    done, done_request = submit_job()
    failed, failed_request = submit_job("fails")
    fal.requests[done_request].state = "COMPLETED"
    deliver(webhooks, fal, done_request)
    run_copy_worker()
    fal.requests[failed_request].state = "COMPLETED"
    deliver(webhooks, fal, failed_request, ok=False)
    admin = make_user(role="admin")
    used = used_today(db, student)

    for job_id, status in ((done, "completed"), (failed, "failed")):
        error = error_of(
            admin_api.post(
                f"/admin/jobs/{job_id}/fail", json={"reason": "x"}, headers=admin.headers
            ),
            409,
        )
        assert error["code"] == "job_finished"
        assert error["message"] == (
            f"This job is already {status}: there is nothing left to fail or re-check."
        )
        assert error["details"] == {"status": status}
    assert used_today(db, student) == used
    assert fal.cancels == []


def test_an_admin_failure_with_another_reason_is_409(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    submit_job, student = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    first = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": "a"}, headers=admin.headers
    )
    assert first.status_code == 200, first.text
    error = error_of(
        admin_api.post(f"/admin/jobs/{job_id}/fail", json={"reason": "b"}, headers=admin.headers),
        409,
    )
    assert error["code"] == "job_finished" and error["details"] == {"status": "failed"}
    assert job_row(db, job_id)[1] == "a"
    assert used_today(db, student) == 0


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "reason", "validation_error"),
        ({"reason": ""}, "reason", "validation_error"),
        ({"reason": "   "}, "reason", "validation_error"),
        ({"reason": "x" * 501}, "reason", "validation_error"),
        ({"reason": 5}, "reason", "validation_error"),
        ({"reason": None}, "reason", "validation_error"),
        ({"reason": "ok", "refund": False}, "refund", "validation_error"),
        ([], "body", "validation_error"),
    ],
)
def test_bad_fail_bodies_are_422_naming_the_field(
    admin_api: TestClient, jobs, make_user, db, body, field, code
) -> None:
    submit_job, student = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    error = error_of(
        admin_api.post(f"/admin/jobs/{job_id}/fail", json=body, headers=admin.headers), 422
    )
    assert error["code"] == code
    assert error["message"].startswith("Invalid request:") and field in error["message"]
    assert field in [f["field"].split(".")[-1] for f in error["details"]["fields"]]
    assert job_row(db, job_id)[0] == "submitted" and used_today(db, student) == 1


def test_a_reason_of_exactly_500_characters_is_taken(
    admin_api: TestClient, jobs, make_user, db
) -> None:
    submit_job, _ = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    reason = "r" * 500
    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail", json={"reason": reason}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert job_row(db, job_id)[1] == reason


def test_nul_in_the_reason_is_422_not_500(admin_api: TestClient, jobs, make_user, db) -> None:
    """Postgres refuses NUL in text: the client's error, and nothing half done."""
    submit_job, student = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    error = error_of(
        admin_api.post(
            f"/admin/jobs/{job_id}/fail", json={"reason": "a\u0000b"}, headers=admin.headers
        ),
        422,
    )
    assert error["code"] == "invalid_data"
    assert job_row(db, job_id)[0] == "submitted" and used_today(db, student) == 1


def test_a_body_that_is_not_json_is_422(admin_api: TestClient, jobs, make_user) -> None:
    submit_job, _ = jobs
    job_id, _ = submit_job()
    admin = make_user(role="admin")
    response = admin_api.post(
        f"/admin/jobs/{job_id}/fail",
        content=b"reason=x",
        headers={**admin.headers, "content-type": "application/json"},
    )
    error = error_of(response, 422)
    assert (error["code"], error["message"]) == (
        "malformed_json",
        "The request body is not valid JSON.",
    )


@pytest.mark.parametrize("action", ["fail", "recheck"])
def test_unknown_and_malformed_job_ids(admin_api: TestClient, make_user, action: str) -> None:
    admin = make_user(role="admin")
    body = {"reason": "x"}
    missing = error_of(
        admin_api.post(f"/admin/jobs/{UNKNOWN}/{action}", json=body, headers=admin.headers), 404
    )
    assert (missing["code"], missing["message"]) == ("job_not_found", "No such job.")
    malformed = error_of(
        admin_api.post(f"/admin/jobs/not-a-uuid/{action}", json=body, headers=admin.headers), 422
    )
    assert malformed["code"] == "validation_error"
    assert [f["field"] for f in malformed["details"]["fields"]] == ["job_id"]


@pytest.mark.parametrize("action", ["fail", "recheck"])
def test_only_admins_act_on_jobs(
    admin_api: TestClient, jobs, make_user, db, fal: FakeFal, action: str
) -> None:
    submit_job, student = jobs
    job_id, _ = submit_job()
    for role in ("student", "teacher"):
        user = make_user(role=role)
        error = error_of(
            admin_api.post(
                f"/admin/jobs/{job_id}/{action}", json={"reason": "x"}, headers=user.headers
            ),
            403,
        )
        assert error["code"] == "admin_only"
    error = error_of(admin_api.post(f"/admin/jobs/{job_id}/{action}", json={"reason": "x"}), 401)
    assert error["code"] == "missing_token"
    assert job_row(db, job_id)[0] == "submitted" and used_today(db, student) == 1
    assert fal.cancels == [] and fal.status_requests == []
    assert audit(db, job_id) == []


# --- recheck --------------------------------------------------------------------------


def recheck(admin_api: TestClient, admin, job_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = admin_api.post(f"/admin/jobs/{job_id}/recheck", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_recheck_of_a_job_still_at_fal_says_so_and_changes_nothing(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    submit_job, student = jobs
    queued, queued_request = submit_job()
    running, running_request = submit_job("running")
    fal.requests[running_request].state = "IN_PROGRESS"
    admin = make_user(role="admin")

    answer = recheck(admin_api, admin, queued)
    assert answer["job"]["status"] == "submitted"
    assert answer["action"]["outcome"] == "still_queued"
    assert answer["action"]["fal_answer"] == "IN_QUEUE"
    assert answer["action"]["reason"] is None and answer["replayed"] is False

    answer = recheck(admin_api, admin, running)
    assert answer["job"]["status"] == "in_progress" and answer["job"]["started_at"]
    assert answer["action"]["outcome"] == "in_progress"
    assert answer["action"]["fal_answer"] == "IN_PROGRESS"

    assert fal.status_requests == [queued_request, running_request]
    assert used_today(db, student) == 2
    assert audit(db, queued) == [("recheck", admin.id, None, "still_queued", "IN_QUEUE")]


def test_recheck_settles_a_completed_job_as_its_webhook_would(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks, capsys
) -> None:
    submit_job, student = jobs
    job_id, request_id = submit_job()
    fal.requests[request_id].state = "COMPLETED"
    admin = make_user(role="admin")

    answer = recheck(admin_api, admin, job_id)

    assert answer["job"]["status"] == "finishing"  # the copy goes through the copy queue
    assert answer["action"]["outcome"] == "finished_finishing"
    assert answer["action"]["fal_answer"] == "COMPLETED"
    assert run_copy_worker() == 1
    assert job_row(db, job_id)[0] == "completed"
    assert db.execute(
        "select count(*) from public.files where job_id = %s", (job_id,)
    ).fetchone() == (1,)
    assert used_today(db, student) == 1
    (metric,) = named(emf_records(capsys.readouterr().out), "AdminJobAction")
    assert metric.dimensions == {"Action": "recheck"}
    assert metric.record["outcome"] == "finished_finishing"
    # its webhook, late: a duplicate
    assert deliver(webhooks, fal, request_id) == {"outcome": "duplicate"}
    assert run_copy_worker() == 0
    # and a finished job is not re-checked
    error = error_of(admin_api.post(f"/admin/jobs/{job_id}/recheck", headers=admin.headers), 409)
    assert error["code"] == "job_finished" and error["details"] == {"status": "completed"}


def test_recheck_fails_and_refunds_a_job_fal_failed(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    submit_job, student = jobs
    job_id, request_id = submit_job()
    fal.requests[request_id].state = "COMPLETED"
    fal.requests[request_id].error = "NSFW content detected"
    admin = make_user(role="admin")

    answer = recheck(admin_api, admin, job_id)

    assert answer["job"]["status"] == "failed"
    assert answer["job"]["error"] == "NSFW content detected"
    assert answer["job"]["error_code"] is None  # fal's failure, not an admin's
    assert answer["action"]["outcome"] == "finished_failed"
    assert used_today(db, student) == 0
    # twice: 409, still one refund
    assert error_of(admin_api.post(f"/admin/jobs/{job_id}/recheck", headers=admin.headers), 409)
    assert used_today(db, student) == 0


@pytest.mark.parametrize("outage", ["status_503", "connection_refused"])
def test_recheck_with_fal_unreachable_is_503_and_changes_nothing(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, outage: str
) -> None:
    submit_job, student = jobs
    job_id, request_id = submit_job()
    admin = make_user(role="admin")
    if outage == "status_503":
        fal.requests[request_id].status_code = 503
    else:
        fal.close()

    response = admin_api.post(f"/admin/jobs/{job_id}/recheck", headers=admin.headers)

    error = error_of(response, 503)
    assert error["code"] == "provider_unavailable"
    assert error["message"] == (
        "fal could not be reached, so nothing was changed; try again shortly."
    )
    assert response.headers["retry-after"] == "5"
    assert db.execute(
        "select status, reconcile_attempts, last_checked_at from public.jobs where id = %s",
        (job_id,),
    ).fetchone() == ("submitted", 0, None)
    assert audit(db, job_id) == []
    assert used_today(db, student) == 1


def test_recheck_of_a_request_fal_no_longer_knows_is_502_and_changes_nothing(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db
) -> None:
    """fal's 404: its final word; the admin decides (fail it), not the re-check."""
    submit_job, student = jobs
    job_id, request_id = submit_job()
    del fal.requests[request_id]
    admin = make_user(role="admin")

    error = error_of(admin_api.post(f"/admin/jobs/{job_id}/recheck", headers=admin.headers), 502)

    assert error["code"] == "provider_rejected"
    assert error["message"] == "The video service refused the request: Request not found"
    assert job_row(db, job_id)[0] == "submitted" and audit(db, job_id) == []
    assert used_today(db, student) == 1


def test_recheck_of_a_finishing_job_queues_its_copy_again(
    admin_api: TestClient, jobs, fal: FakeFal, make_user, db, webhooks
) -> None:
    submit_job, _ = jobs
    job_id, request_id = submit_job()
    fal.requests[request_id].state = "COMPLETED"
    deliver(webhooks, fal, request_id)
    assert run_copy_worker() == 1  # ... as if that copy had been lost: finishing again
    db.execute("delete from public.files where job_id = %s", (job_id,))
    db.execute("update public.jobs set status = 'finishing' where id = %s", (job_id,))
    admin = make_user(role="admin")

    answer = recheck(admin_api, admin, job_id)

    assert answer["action"]["outcome"] == "copy_requeued"
    assert answer["action"]["fal_answer"] is None
    assert fal.status_requests == []
    assert run_copy_worker() == 1
    assert job_row(db, job_id)[0] == "completed"


def test_recheck_of_a_job_fal_never_confirmed_asks_nothing(
    admin_api: TestClient, fal: FakeFal, make_user, db
) -> None:
    student, admin = make_user(), make_user(role="admin")
    (job_id,) = db.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'fal-ai/ltx-video', 'p')"
        " returning id",
        (student.id,),
    ).fetchone()

    answer = recheck(admin_api, admin, str(job_id))

    assert answer["action"]["outcome"] == "not_submitted"
    assert answer["job"]["status"] == "queued"
    assert fal.status_requests == []


# --- through Lambda -------------------------------------------------------------------


@pytest.mark.lambda_runtime
def test_fail_and_recheck_through_api_gateway_events(jobs, fal: FakeFal, make_user, db) -> None:
    submit_job, student = jobs
    job_id, request_id = submit_job()
    other, other_request = submit_job("other")
    fal.requests[other_request].state = "IN_PROGRESS"
    admin = make_user(role="admin")
    handler = load_handler("admin").handler

    status, _, answer = invoke(
        handler,
        http_api_event(
            "POST",
            f"/admin/jobs/{job_id}/fail",
            body={"reason": "stuck since Monday"},
            headers=admin.headers,
        ),
    )
    assert status == 200, answer
    assert answer["job"]["status"] == "failed" and answer["job"]["error_code"] == "failed_by_admin"
    assert fal.cancels == [request_id]

    status, _, answer = invoke(
        handler, http_api_event("POST", f"/admin/jobs/{other}/recheck", headers=admin.headers)
    )
    assert status == 200, answer
    assert answer["action"]["fal_answer"] == "IN_PROGRESS"

    status, _, answer = invoke(
        handler,
        http_api_event(
            "POST", f"/admin/jobs/{job_id}/fail", body={"reason": ""}, headers=admin.headers
        ),
    )
    assert status == 422 and answer["error"]["code"] == "validation_error"
    status, _, answer = invoke(
        handler,
        http_api_event("POST", f"/admin/jobs/{job_id}/recheck", headers=student.headers),
    )
    assert status == 403 and answer["error"]["code"] == "admin_only"
    assert used_today(db, student) == 1
