"""fal as fal really behaves (issue 11, parts 3 and 4): one submit attempt, cancels only of
what fal still queues, reconciliation that cannot starve, and webhooks that answer at once
while the copy worker moves the video out of band.

The fake fal server (tests/support/fal.py) follows fal's queue documentation,
https://fal.ai/docs/model-endpoints/queue, and its cancel semantics,
https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from tests.support.aging import age_jobs
from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.support.logs import logged
from tests.support.users import PASSWORD, User
from videogen.local.postgres import EmbeddedPostgres

LTX = "fal-ai/ltx-video"


def submit(client: TestClient, user: User, prompt: str = "a comet over the sea"):
    return client.post("/generations", json={"model": LTX, "prompt": prompt}, headers=user.headers)


def job_row(db, job_id: str) -> dict[str, Any]:
    cur = db.execute("select * from public.jobs where id = %s", (job_id,))
    names = [c.name for c in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def units_held(db, user: User) -> int:
    """Videos the user holds on the ledger, whatever the day they were counted on: the tests move
    jobs back in time, possibly across midnight (tests/support/aging.py)."""
    (held,) = db.execute(
        "select coalesce(sum(used), 0)::int from public.budget_balances"
        " where scope = 'student_videos' and scope_key = %s",
        (user.id,),
    ).fetchone()
    return int(held)


def deliver(webhooks: TestClient, fal: FakeFal, request_id: str, **kwargs: Any):
    """fal's delivery for a request, POSTed to the webhook URL fal was given at submit."""
    body, headers = fal.delivery(request_id, **kwargs)
    return webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)


def run_reconcile() -> dict[str, int]:
    return load_handler("reconcile").handler({"source": "aws.scheduler"}, None)


def age(db, *, minutes: int, job_id: str | None = None, checked: bool = False) -> None:
    """Moves jobs back in time (all of them without `job_id`); with `checked`, only their
    last reconciliation check (as if the next scheduled run had come)."""
    if checked:
        where = "where id = %(job)s" if job_id else ""
        sql = f"""update public.jobs
                  set last_checked_at = last_checked_at - make_interval(mins => %(m)s) {where}"""
        db.execute(sql, {"m": minutes, "job": job_id})
    else:
        age_jobs(db, minutes, job_id)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# --- submit: one attempt, never resent ---


def test_submit_is_attempted_once_on_timeout_and_never_resent(
    fal: FakeFal, make_user, configure, db, webhooks
) -> None:
    """fal-client resent a POST whose answer timed out: two billed requests. Now the answer
    lost leaves the job `queued` (201) and fal's webhook, whose URL names the job, binds it."""
    configure(FAL_SUBMIT_TIMEOUT_SECONDS="0.5")
    fal.submit_delay = 2
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    response = submit(generations, user)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "queued"
    assert len(fal.submits) == 1
    row = job_row(db, job["id"])
    assert row["submit_unconfirmed_at"] is not None and row["fal_request_id"] is None
    (request_id,) = fal.requests  # fal took it although its answer never reached us
    fal.submit_delay = 0

    assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
    row = job_row(db, job["id"])
    assert row["fal_request_id"] == request_id and row["submit_unconfirmed_at"] is None
    assert run_copy_worker() == 1
    done = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    assert done["status"] == "completed" and done["video"] is not None
    assert len(fal.submits) == 1 and units_held(db, user) == 1


def test_submit_429_is_not_retried(fal: FakeFal, generations, make_user, db) -> None:
    """fal-client retried a 429 by itself; one attempt now, and nothing is left at fal."""
    fal.submit_responses.append((429, {"detail": "Too many requests"}))
    user = make_user()
    response = submit(generations, user)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "provider_unavailable"
    assert len(fal.submits) == 1 and fal.requests == {}
    assert job_row(db, error["details"]["job_id"])["status"] == "failed"
    assert db.execute("select count(*) from public.jobs").fetchone() == (1,)
    assert units_held(db, user) == 0


def test_database_failure_after_fal_accepted_does_not_say_nothing_changed(
    fal: FakeFal,
    make_user,
    configure,
    postgres: EmbeddedPostgres,
    database_url: str,
) -> None:
    """fal holds the request, then our database goes away: the client must not be told
    `database_unavailable` (nothing changed); the job is `queued` and fal's webhook ends it."""
    configure(DB_CONNECT_TIMEOUT_SECONDS="1")
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    name = database_url.rsplit("/", 1)[1]

    def database_goes_away(request_id: str) -> None:
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute(f'alter database "{name}" allow_connections false')
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (name,),
            )

    fal.on_submit = database_goes_away
    try:
        with logged("videogen.generations.service") as records:
            response = submit(generations, user)
    finally:
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute(f'alter database "{name}" allow_connections true')
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "queued"
    messages = [r.getMessage() for r in records]
    assert "fal took the job but it could not be recorded" in messages
    (request_id,) = fal.requests

    configure()  # a fresh pool, as a new Lambda instance would have
    with psycopg.connect(database_url, autocommit=True) as db:
        row = job_row(db, job["id"])
        assert row["status"] == "queued" and row["fal_request_id"] is None
        assert row["submit_unconfirmed_at"] is None  # fal's answer came; our write did not
        webhooks = TestClient(load_handler("webhooks").app)
        assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
        assert run_copy_worker() == 1
        assert job_row(db, job["id"])["status"] == "completed"
    assert len(fal.submits) == 1


# --- cancel: only what fal still queues, refunds only once fal confirms ---


def test_cancel_while_submit_in_flight_never_leaves_an_unknown_fal_request(
    fal: FakeFal, generations, make_user, db
) -> None:
    """Reproduced exploit (issue 11): a cancel during the submit left the job `cancelled`
    with no request id and the reservation released while fal ran — and billed — the job."""
    user = make_user()
    fal.submit_delay = 1.0
    for attempt in range(3):
        known = set(fal.requests)
        with ThreadPoolExecutor(max_workers=1) as pool:
            submitting = pool.submit(submit, generations, user, f"scene {attempt}")
            wait_until(lambda known=known: set(fal.requests) - known)  # fal holds it, no answer
            (request_id,) = set(fal.requests) - known
            (job_id,) = db.execute(
                "select id::text from public.jobs where fal_request_id is null"
            ).fetchone()
            cancel = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
            assert cancel.status_code == 202, cancel.text
            assert cancel.json()["cancel_requested"] is True
            assert cancel.json()["status"] == "queued"
            assert units_held(db, user) == 1  # not refunded on a wish
            submitted = submitting.result()
        assert submitted.status_code == 201, submitted.text
        row = job_row(db, job_id)
        assert row["fal_request_id"] == request_id  # the request is known...
        assert request_id in fal.cancels  # ...and was cancelled at fal
        assert row["status"] == "cancelled"
        assert units_held(db, user) == 0  # refunded once fal confirmed
    held = {r[0] for r in db.execute("select fal_request_id from public.jobs")}
    assert set(fal.requests) <= held  # no fal request we do not know about
    assert all(r.state == "COMPLETED" and r.error for r in fal.requests.values())


def test_cancel_during_submit_of_a_request_fal_already_started_keeps_the_submit(
    fal: FakeFal, generations, webhooks, make_user, db
) -> None:
    """The deferred cancel finds fal running the request: the submit still answers 201 (the
    job exists and runs, and is billed), not the cancel's 409; the webhook then ends it."""
    user = make_user()
    fal.submit_delay = 1.0
    with ThreadPoolExecutor(max_workers=1) as pool:
        submitting = pool.submit(submit, generations, user)
        wait_until(lambda: fal.requests)
        (request_id,) = fal.requests
        (job_id,) = db.execute("select id::text from public.jobs").fetchone()
        cancel = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
        assert cancel.status_code == 202, cancel.text
        fal.requests[request_id].state = "IN_PROGRESS"  # fal picked it up meanwhile
        submitted = submitting.result()
    assert submitted.status_code == 201, submitted.text
    assert fal.cancels == []  # a running request is not cancelled: it would run on anyway
    assert job_row(db, job_id)["fal_request_id"] == request_id
    assert units_held(db, user) == 1
    assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
    run_copy_worker()
    assert job_row(db, job_id)["status"] == "completed"


def test_cancel_of_running_request_is_refused_and_not_refunded(
    fal: FakeFal, generations, make_user, db
) -> None:
    """A running request cannot be cancelled for sure (fal bills what runs): 409, no PUT."""
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request,) = fal.requests.values()
    request.state = "IN_PROGRESS"
    response = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "cannot_cancel"
    assert fal.cancels == []
    job = generations.get(f"/generations/{job_id}", headers=user.headers).json()
    assert job["status"] == "in_progress" and units_held(db, user) == 1


def test_cancel_in_queue_is_confirmed_then_refunded(
    fal: FakeFal, generations, make_user, db
) -> None:
    """Status first (IN_QUEUE), then the PUT, then fal's status confirms it was removed."""
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    cancelled = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert fal.cancels == [request_id]
    assert fal.status_requests == [request_id, request_id]  # before and after the PUT
    assert units_held(db, user) == 0
    again = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "cannot_cancel"
    assert fal.cancels == [request_id]


def test_cancel_requested_then_webhook_ok_completes_without_refund(
    fal: FakeFal, generations, webhooks, make_user, db
) -> None:
    """fal's 202 CANCELLATION_REQUESTED is a request, not a result: if the model runs on and
    delivers a video, the job completes and its budget settles."""
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    fal.cancel_ignored = True
    response = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
    assert response.status_code == 202, response.text
    assert response.json()["cancel_requested"] is True
    assert response.json()["status"] == "submitted"
    assert fal.cancels == [request_id] and units_held(db, user) == 1
    assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
    assert run_copy_worker() == 1
    done = generations.get(f"/generations/{job_id}", headers=user.headers).json()
    assert done["status"] == "completed" and done["video"] is not None
    assert units_held(db, user) == 1


def test_cancel_requested_then_webhook_error_cancels_and_refunds(
    fal: FakeFal, generations, webhooks, make_user, db
) -> None:
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    fal.cancel_ignored = True
    cancel = generations.post(f"/generations/{job_id}/cancel", headers=user.headers)
    assert cancel.status_code == 202, cancel.text
    answer = deliver(webhooks, fal, request_id, ok=False, error="Request was cancelled.")
    assert answer.json() == {"outcome": "cancelled"}
    assert job_row(db, job_id)["status"] == "cancelled"
    assert units_held(db, user) == 0


# --- reconciliation ---


def test_reconcile_does_not_starve_behind_jobs_that_never_finish(
    fal: FakeFal, generations, make_user, configure, db
) -> None:
    """Reproduced (issue 11): 50 jobs fal cannot report on filled every batch of 50 —
    `{'checked': 50, 'error': 50}` forever — and a finished job was never looked at."""
    configure(RECONCILE_MAX_ATTEMPTS="3")
    user = make_user(role="teacher")
    db.execute("update public.profiles set daily_video_cap = 100 where id = %s", (user.id,))
    stuck = [submit(generations, user, f"stuck {i}").json()["id"] for i in range(50)]
    for request in fal.requests.values():
        request.status_code = 500  # fal's queue fails on these, every time
    good = submit(generations, user, "the good one").json()["id"]
    good_request = job_row(db, good)["fal_request_id"]
    fal.requests[good_request].state = "COMPLETED"
    age(db, minutes=30)

    assert run_reconcile() == {"checked": 50, "error": 50}  # the good job is not in this batch
    age(db, minutes=16, checked=True)  # the next scheduled run, past RECONCILE_AFTER_SECONDS
    second = run_reconcile()
    assert second == {"checked": 50, "finished_finishing": 1, "error": 49}
    assert good_request in fal.status_requests
    assert run_copy_worker() == 1
    assert job_row(db, good)["status"] == "completed"
    attempts = db.execute(
        "select reconcile_attempts, count(*) from public.jobs where id = any(%s::uuid[])"
        " group by 1 order by 1",
        (stuck,),
    ).fetchall()
    assert attempts == [(1, 1), (2, 49)]

    given_up = 0
    for _ in range(6):
        age(db, minutes=16, checked=True)
        given_up += run_reconcile().get("given_up", 0)
    assert given_up == 50
    failed = db.execute(
        "select count(*) from public.jobs where status = 'failed' and id = any(%s::uuid[])",
        (stuck,),
    ).fetchone()
    assert failed == (50,)
    assert units_held(db, user) == 1  # only the good job is paid for
    age(db, minutes=16, checked=True)
    assert run_reconcile() == {"checked": 0}


def test_reconcile_4xx_from_fal_is_terminal(fal: FakeFal, generations, make_user, db) -> None:
    """A 4xx is fal's last word (the request is gone, or its result refused): the job fails
    and is refunded at once instead of being asked about every run, forever."""
    user = make_user(role="teacher")
    gone = submit(generations, user, "gone").json()["id"]
    refused = submit(generations, user, "refused").json()["id"]
    del fal.requests[job_row(db, gone)["fal_request_id"]]  # status answers 404
    fal.requests[job_row(db, refused)["fal_request_id"]].state = "COMPLETED"
    fal.result_status = 422  # the result is refused
    age(db, minutes=30)

    assert run_reconcile() == {"checked": 2, "given_up": 2}
    for job_id in (gone, refused):
        row = job_row(db, job_id)
        assert row["status"] == "failed" and "no result" in row["error"]
    assert units_held(db, user) == 0
    asked = len(fal.status_requests)
    age(db, minutes=16, checked=True)
    assert run_reconcile() == {"checked": 0}
    assert len(fal.status_requests) == asked


def test_reconcile_requeues_a_stuck_finishing_job(
    fal: FakeFal, generations, webhooks, make_user, configure, db
) -> None:
    """A `finishing` job whose copy task was exhausted (dead-lettered) or lost gets a new
    copy task from the reconciliation."""
    configure(COPY_MAX_ATTEMPTS="1")
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    fal.media_status = 503
    assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
    run_copy_worker()
    from videogen.copies.deps import get_copy_queue

    assert get_copy_queue().depth() == (0, 1)  # dead-lettered
    assert job_row(db, job_id)["status"] == "finishing"
    fal.media_status = 200
    age(db, minutes=30)
    assert run_reconcile() == {"checked": 1, "copy_requeued": 1}
    assert run_copy_worker() == 1
    assert job_row(db, job_id)["status"] == "completed"
    assert units_held(db, user) == 1


def test_unconfirmed_submit_is_failed_after_the_grace_window(
    fal: FakeFal, make_user, configure, db
) -> None:
    """A job whose submit answer was lost waits for fal's webhook through fal's delivery
    window, then fails and is refunded; it is never submitted a second time."""
    configure(FAL_SUBMIT_TIMEOUT_SECONDS="0.5")
    fal.submit_delay = 2
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    job_id = submit(generations, user).json()["id"]
    assert job_row(db, job_id)["submit_unconfirmed_at"] is not None
    age(db, minutes=30, job_id=job_id)
    assert run_reconcile() == {"checked": 1, "awaiting_webhook": 1}
    assert job_row(db, job_id)["status"] == "queued"
    age(db, minutes=3 * 60, job_id=job_id)  # past SUBMIT_UNCONFIRMED_GRACE_SECONDS (3 h)
    age(db, minutes=16, job_id=job_id, checked=True)
    assert run_reconcile() == {"checked": 1, "given_up": 1}
    row = job_row(db, job_id)
    assert row["status"] == "failed" and "never confirmed" in row["error"]
    assert units_held(db, user) == 0
    assert len(fal.submits) == 1


# --- webhook answers at once; the copy worker copies ---


def test_webhook_answers_without_copying(
    fal: FakeFal, generations, webhooks, make_user, db, database_url: str
) -> None:
    """The old webhook downloaded the video inside the request, holding a connection, a
    transaction and the job's row lock. Now it records `finishing` and answers."""
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    fal.media_delay = 5  # a huge, slow video
    response = deliver(webhooks, fal, request_id)
    assert response.json() == {"outcome": "finishing"}
    assert fal.media_fetches == 0  # not a byte fetched by the webhook
    from videogen.db import get_database

    stats = get_database()._pool.get_stats()  # type: ignore[union-attr]
    assert stats["pool_size"] == stats["pool_available"]  # no connection checked out
    name = database_url.rsplit("/", 1)[1]
    idle_in_transaction = db.execute(
        "select count(*) from pg_stat_activity"
        " where datname = %s and state like 'idle in transaction%%'",
        (name,),
    ).fetchone()
    assert idle_in_transaction == (0,)
    assert job_row(db, job_id)["status"] == "finishing"


def test_slow_copies_do_not_exhaust_the_pool(
    fal: FakeFal, make_user, configure, db, database_url: str
) -> None:
    """Reproduced (issue 11): four slow deliveries held the pool of four and `/auth/login`
    answered 503 for everyone. Now the deliveries answer at once and four slow copies in
    flight hold no pooled connection while the bytes move."""
    configure(DB_POOL_MAX_SIZE="4", DB_CONNECT_TIMEOUT_SECONDS="1")
    user = make_user()
    db.execute("update public.profiles set daily_video_cap = 10 where id = %s", (user.id,))
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    auth = TestClient(load_handler("auth").app)
    jobs = [submit(generations, user, f"slow {i}").json()["id"] for i in range(4)]
    fal.media_delay = 4  # longer than the pool's wait for a connection (2 s)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda r: deliver(webhooks, fal, r), list(fal.requests)))
        assert [a.json() for a in answers] == [{"outcome": "finishing"}] * 4
        from videogen.copies.deps import get_copy_worker

        worker = get_copy_worker()
        copies = [pool.submit(worker.process, job_id) for job_id in map(UUID, jobs)]
        wait_until(lambda: fal.media_fetches == 4)  # four downloads in flight
        login = auth.post("/auth/login", json={"email": user.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert [c.result() for c in copies] == ["completed"] * 4
    states = db.execute("select status, count(*) from public.jobs group by 1").fetchall()
    assert states == [("completed", 4)]


# --- the copy worker Lambda on SQS ---


@pytest.fixture(scope="module")
def sqs_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sqs(sqs_endpoint: str, fal: FakeFal, configure) -> Iterator[tuple[Any, str, str]]:
    """A copy queue with redrive to a dead-letter queue, as serverless.yml declares them,
    and the settings that point the functions at it (boto3 honours AWS_ENDPOINT_URL_SQS)."""
    credentials = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    client = boto3.client(
        "sqs",
        endpoint_url=sqs_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    dlq_url = client.create_queue(QueueName="videogen-copies-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = client.create_queue(
        QueueName="videogen-copies",
        Attributes={
            "VisibilityTimeout": "900",
            "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "5"}}',
        },
    )["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    configure(
        **credentials,
        AWS_ENDPOINT_URL_SQS=sqs_endpoint,
        COPY_QUEUE_BACKEND="sqs",
        COPY_QUEUE_URL=url,
        COPY_QUEUE_REGION="us-east-1",
        COPY_RETRY_BASE_SECONDS="0",
    )
    yield client, url, arn
    client.delete_queue(QueueUrl=url)
    client.delete_queue(QueueUrl=dlq_url)


def lambda_sqs_event(client: Any, queue_url: str, queue_arn: str) -> dict[str, Any]:
    """Receives like Lambda's event source mapping and builds the event it sends
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    received = client.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=1,
    )
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {
                k: m["Attributes"][k]
                for k in (
                    "ApproximateReceiveCount",
                    "SentTimestamp",
                    "SenderId",
                    "ApproximateFirstReceiveTimestamp",
                )
            },
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": "us-east-1",
        }
        for m in received.get("Messages", [])
    ]
    return {"Records": records}


def settle(client: Any, queue_url: str, event: dict[str, Any], answer: dict[str, Any]) -> None:
    """What the event source mapping does with `ReportBatchItemFailures`: deletes the records
    not reported as failed; the failed ones become visible again."""
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    for record in event["Records"]:
        if record["messageId"] not in failed:
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])


@pytest.mark.lambda_runtime
def test_copy_worker_lambda_consumes_sqs_batch(
    sqs, fal: FakeFal, generations, make_user, db
) -> None:
    client, url, arn = sqs
    user = make_user()
    job_id = submit(generations, user).json()["id"]
    (request_id,) = fal.requests
    webhooks = TestClient(load_handler("webhooks").app)
    assert deliver(webhooks, fal, request_id).json() == {"outcome": "finishing"}
    handler = load_handler("copy_worker").handler

    fal.media_status = 503  # a transient failure of fal's media host
    event = lambda_sqs_event(client, url, arn)
    (record,) = event["Records"]
    assert record["body"] == f'{{"job_id": "{job_id}"}}'
    answer = handler(event, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    settle(client, url, event, answer)
    assert job_row(db, job_id)["status"] == "finishing"

    fal.media_status = 200
    event = lambda_sqs_event(client, url, arn)  # visible again after the back-off (0 s here)
    (again,) = event["Records"]
    assert again["messageId"] == record["messageId"]
    assert again["attributes"]["ApproximateReceiveCount"] == "2"
    answer = handler(event, None)
    assert answer == {"batchItemFailures": []}
    settle(client, url, event, answer)
    done = generations.get(f"/generations/{job_id}", headers=user.headers).json()
    assert done["status"] == "completed" and done["video"]["size_bytes"] > 0
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
