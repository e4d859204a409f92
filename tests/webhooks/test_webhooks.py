"""fal webhook deliveries: URL token, signature and account checks, exactly-once effect,
the copy task queued and the video copied out of band by the copy worker."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.fal import OTHER_FAL_USER_ID, SAMPLE, webhook_query
from tests.support.handlers import load_handler


def deliver(webhooks: TestClient, job_id: str, body: bytes, headers: dict):
    return webhooks.post(f"/webhooks/fal?{webhook_query(job_id)}", content=body, headers=headers)


def job_status(db, job_id: str) -> str:
    return db.execute("select status from public.jobs where id = %s", (job_id,)).fetchone()[0]


def deliver_and_copy(webhooks: TestClient, fal, make_user, db, video_url: str) -> tuple[dict, str]:
    """Submits a job, delivers it pointing at `video_url`, runs the copy worker."""
    generations = TestClient(load_handler("generations").app)
    user = make_user()
    job = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=user.headers
    ).json()
    request_id = db.execute(
        "select fal_request_id from public.jobs where id = %s", (job["id"],)
    ).fetchone()[0]
    response = deliver(webhooks, job["id"], *fal.delivery(request_id, video_url=video_url))
    assert response.json() == {"outcome": "finishing"}
    run_copy_worker()
    done = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    used = generations.get("/generations/allowance", headers=user.headers).json()["videos_today"]
    return done, f"{job_status(db, job['id'])}/{used}"


def count(db, sql: str, *args) -> int:
    return db.execute(sql, args).fetchone()[0]


def test_ok_delivery_completes_the_job_and_stores_the_video(
    webhooks, generations, fal, submitted, db, s3
) -> None:
    user, job, request_id = submitted
    path = fal.webhook_path(request_id)  # the URL fal was given, token included
    response = webhooks.post(
        path, content=fal.delivery(request_id)[0], headers=fal.delivery(request_id)[1]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"outcome": "finishing"}
    assert job_status(db, job["id"]) == "finishing"  # answered before any byte was copied
    assert count(db, "select count(*) from public.files") == 0

    assert run_copy_worker() == 1
    done = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    assert done["status"] == "completed" and done["finished_at"] is not None
    video = done["video"]
    assert video["size_bytes"] == len(SAMPLE)
    assert video["sha256"] == hashlib.sha256(SAMPLE).hexdigest()
    stored = s3.get_object(Bucket="videos", Key=f"videos/{user.id}/{job['id']}.mp4")
    assert stored["Body"].read() == SAMPLE and stored["ContentType"] == "video/mp4"
    event = db.execute(
        "select request_id, outcome, payload_status from public.webhook_events"
    ).fetchone()
    assert event == (request_id, "finishing", "OK")


def test_repeated_and_concurrent_deliveries_change_state_once(
    webhooks, fal, submitted, db, configure
) -> None:
    _, job, request_id = submitted
    configure(DB_POOL_MAX_SIZE="10")
    webhooks = TestClient(load_handler("webhooks").app)
    body, headers = fal.delivery(request_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: deliver(webhooks, job["id"], body, headers), range(8)))
    responses.append(deliver(webhooks, job["id"], body, headers))
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["duplicate"] * 8 + ["finishing"]
    # every duplicate while `finishing` queues the copy again; the worker copies once
    run_copy_worker()
    assert count(db, "select count(*) from public.files where job_id = %s", job["id"]) == 1
    assert job_status(db, job["id"]) == "completed"
    # duplicates are answered after one indexed lookup and leave no audit row
    assert count(db, "select count(*) from public.webhook_events") == 1


def test_error_delivery_fails_the_job_with_fals_text_and_refunds(
    webhooks, generations, fal, submitted
) -> None:
    user, job, request_id = submitted
    response = deliver(webhooks, job["id"], *fal.delivery(request_id, ok=False))
    assert response.json() == {"outcome": "failed"}
    failed = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    assert failed["status"] == "failed"
    assert failed["error"] == "Model crashed: CUDA out of memory"
    assert failed["video"] is None
    allowance = generations.get("/generations/allowance", headers=user.headers).json()
    assert allowance["videos_today"] == 0


def test_unknown_and_mismatched_deliveries_are_recorded_and_harmless(
    webhooks, fal, submitted, db
) -> None:
    _, job, _ = submitted
    unknown = deliver(webhooks, "00000000-0000-0000-0000-000000000000", *fal.delivery("r-1"))
    assert unknown.json() == {"outcome": "unknown_job"}
    stray = deliver(webhooks, job["id"], *fal.delivery("some-other-request"))
    assert stray.status_code == 409
    assert stray.json()["error"]["code"] == "request_mismatch"
    outcomes = [r[0] for r in db.execute("select outcome from public.webhook_events order by id")]
    assert outcomes == ["unknown_job", "error"]
    assert job_status(db, job["id"]) == "submitted"


def test_request_of_another_job_is_request_mismatch_not_500(
    webhooks, generations, fal, submitted, make_user, db
) -> None:
    """A delivery bound (by URL) to a job still waiting for its request id, carrying the
    request id another job holds, is a 409 — not a unique-constraint 500."""
    _, _, request_id = submitted
    other = make_user()
    fal.submit_delay = 3
    # the second job's submit times out: queued, no request id, awaiting its webhook
    generations_slow = TestClient(load_handler("generations").app)
    import os

    os.environ["FAL_SUBMIT_TIMEOUT_SECONDS"] = "0.5"
    try:
        from tests.conftest import clear_caches

        clear_caches()
        generations_slow = TestClient(load_handler("generations").app)
        second = generations_slow.post(
            "/generations",
            json={"model": "fal-ai/ltx-video", "prompt": "a second comet"},
            headers=other.headers,
        ).json()
    finally:
        del os.environ["FAL_SUBMIT_TIMEOUT_SECONDS"]
    assert second["status"] == "queued"
    response = deliver(webhooks, second["id"], *fal.delivery(request_id))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_mismatch"
    assert job_status(db, second["id"]) == "queued"


def test_late_delivery_after_cancel_changes_nothing(
    webhooks, generations, fal, submitted, db
) -> None:
    user, job, request_id = submitted
    cancelled = generations.post(f"/generations/{job['id']}/cancel", headers=user.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = deliver(webhooks, job["id"], *fal.delivery(request_id))
    assert late.json() == {"outcome": "duplicate"}
    assert run_copy_worker() == 0
    assert count(db, "select count(*) from public.files") == 0
    assert job_status(db, job["id"]) == "cancelled"


def test_webhook_token_required_and_bound_to_its_job(
    webhooks, fal, submitted, make_user, db
) -> None:
    """Security finding (issue 11): a delivery aimed with `?job_id=` at another job. The URL
    token, made with our secret for one job, is checked before anything else."""
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    for query in (
        f"job_id={job['id']}",
        f"job_id={job['id']}&token=" + "0" * 64,
        webhook_query(job["id"], secret="not-our-secret"),
        webhook_query("00000000-0000-0000-0000-000000000001").replace(
            "job_id=00000000-0000-0000-0000-000000000001", f"job_id={job['id']}"
        ),
        "",
    ):
        response = webhooks.post(f"/webhooks/fal?{query}", content=body, headers=headers)
        assert response.status_code == 401, query
        assert response.json()["error"]["code"] == "invalid_webhook_token"
    assert count(db, "select count(*) from public.webhook_events") == 0
    assert job_status(db, job["id"]) == "submitted"


def test_non_ascii_webhook_token_is_401_not_500(webhooks, fal, submitted) -> None:
    """Found by fuzzing: a token with non-ASCII characters made the HMAC comparison raise."""
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    response = webhooks.post(
        f"/webhooks/fal?job_id={job['id']}&token=%C3%A9" + "0" * 62, content=body, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_webhook_token"


def test_delivery_signed_for_another_fal_account_is_refused(webhooks, fal, submitted, db) -> None:
    """Security finding (issue 11): fal's signing keys are shared by every fal customer, so a
    validly signed delivery of another account must not complete our job."""
    _, job, request_id = submitted
    foreign = fal.delivery(request_id, user_id=OTHER_FAL_USER_ID)
    response = deliver(webhooks, job["id"], *foreign)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "foreign_account"
    assert job_status(db, job["id"]) == "submitted"
    assert count(db, "select count(*) from public.webhook_events") == 0


def test_payload_null_with_payload_error_fetches_the_result_from_the_queue(
    webhooks, generations, fal, submitted, db
) -> None:
    """fal sends `payload: null` and `payload_error` when it could not serialize the output;
    the video is still in its queue (https://fal.ai/docs/model-endpoints/webhooks)."""
    user, job, request_id = submitted
    fal.requests[request_id].state = "COMPLETED"
    delivery = fal.delivery(request_id, payload_error="Payload could not be serialized")
    assert deliver(webhooks, job["id"], *delivery).json() == {"outcome": "finishing"}
    run_copy_worker()
    done = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    assert done["status"] == "completed"
    assert done["video"]["sha256"] == hashlib.sha256(SAMPLE).hexdigest()


def test_gateway_request_id_in_the_signed_header_is_accepted(webhooks, fal, submitted, db) -> None:
    """After an internal retry fal's `request_id` and `gateway_request_id` differ; the signed
    header may carry either."""
    _, job, request_id = submitted
    # our stored id is the one submit returned; fal's body names the internal retry's id
    delivery = fal.delivery("internal-retry-id", gateway_request_id=request_id)
    assert deliver(webhooks, job["id"], *delivery).json() == {"outcome": "finishing"}
    assert job_status(db, job["id"]) == "finishing"


def assert_rejected(response, code: str, db) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code
    assert count(db, "select count(*) from public.webhook_events") == 0
    assert count(db, "select count(*) from public.jobs where status = 'completed'") == 0


def test_forged_signature_from_another_key(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    forged = fal.delivery(request_id, key=Ed25519PrivateKey.generate())
    assert_rejected(deliver(webhooks, job["id"], *forged), "invalid_signature", db)


def test_tampered_body(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id, ok=False)
    tampered = body.replace(b'"ERROR"', b'"OK"  ')
    assert_rejected(deliver(webhooks, job["id"], tampered, headers), "invalid_signature", db)


def test_replayed_old_delivery(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    old = fal.delivery(request_id, timestamp=int(time.time()) - 301)
    assert_rejected(deliver(webhooks, job["id"], *old), "stale_timestamp", db)
    future = fal.delivery(request_id, timestamp=int(time.time()) + 301)
    assert_rejected(deliver(webhooks, job["id"], *future), "stale_timestamp", db)


@pytest.mark.parametrize(
    "header",
    [
        "X-Fal-Webhook-Request-Id",
        "X-Fal-Webhook-User-Id",
        "X-Fal-Webhook-Timestamp",
        "X-Fal-Webhook-Signature",
    ],
)
def test_missing_header(webhooks, fal, submitted, db, header: str) -> None:
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    del headers[header]
    response = deliver(webhooks, job["id"], body, headers)
    assert_rejected(response, "missing_signature", db)
    assert header.lower() in response.json()["error"]["message"]


def test_garbage_signature_and_body_request_id_mismatch(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    assert_rejected(
        deliver(webhooks, job["id"], body, {**headers, "X-Fal-Webhook-Signature": "zz"}),
        "invalid_signature",
        db,
    )
    other_body, _ = fal.delivery("another-request")
    signed_for_ours = fal.sign(request_id, other_body)
    response = deliver(webhooks, job["id"], other_body, signed_for_ours)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_delivery"


def test_key_rotation_is_picked_up(webhooks, fal, submitted, configure) -> None:
    _, job, request_id = submitted
    warm_up = deliver(webhooks, "00000000-0000-0000-0000-000000000000", *fal.delivery("warm-up"))
    assert warm_up.json() == {"outcome": "unknown_job"}
    assert fal.jwks_fetches == 1
    new_key = Ed25519PrivateKey.generate()
    fal.keys = [new_key]
    # the cache refetches at most once a minute: age it past that
    from videogen.webhooks.deps import get_webhook_verifier

    get_webhook_verifier()._keys._fetched_at -= 61
    response = deliver(webhooks, job["id"], *fal.delivery(request_id, key=new_key))
    assert response.json() == {"outcome": "finishing"}
    assert fal.jwks_fetches == 2


def test_oversized_body_is_413(webhooks, fal, submitted, configure) -> None:
    _, job, request_id = submitted
    configure(WEBHOOK_MAX_BODY_BYTES="2048")
    webhooks = TestClient(load_handler("webhooks").app)
    body = json.dumps({"request_id": request_id, "status": "OK", "pad": "x" * 4096}).encode()
    response = deliver(webhooks, job["id"], body, fal.sign(request_id, body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_video_url_on_another_host_is_never_fetched(webhooks, fal, make_user, db) -> None:
    """SSRF: a payload pointing at the metadata service or a lookalike host is refused by
    the copy worker: the job fails and the reservation is released at once."""
    for url in (
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://localhost:5432/",
        "https://fal.media.evil.example/v.mp4",
        "file:///etc/passwd",
    ):
        failed, state = deliver_and_copy(webhooks, fal, make_user, db, url)
        assert failed["status"] == "failed", url
        assert failed["error"] == "The video URL is not on an allowed host."
        assert state == "failed/0", url  # the reservation was released at once
    assert count(db, "select count(*) from public.files") == 0


def test_jwks_down_is_503(webhooks, fal, submitted) -> None:
    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    fal.close()
    response = deliver(webhooks, job["id"], body, headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "signature_keys_unavailable"


def test_database_down_is_503(webhooks, fal, submitted, configure) -> None:
    _, job, request_id = submitted
    configure(DATABASE_URL="postgresql://postgres@127.0.0.1:9/x", DB_CONNECT_TIMEOUT_SECONDS="1")
    webhooks = TestClient(load_handler("webhooks").app)
    response = deliver(webhooks, job["id"], *fal.delivery(request_id))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_signed_but_malformed_payload_is_400(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    for body in (
        b"not json",
        json.dumps({"request_id": request_id, "status": "MAYBE"}).encode(),
        json.dumps({"request_id": request_id, "status": "OK", "payload": {"video": {}}}).encode(),
    ):
        response = deliver(webhooks, job["id"], body, fal.sign(request_id, body))
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "malformed_delivery"
    assert job_status(db, job["id"]) == "submitted"


def test_client_disconnecting_mid_webhook_body_is_a_quiet_close(fal, submitted, db) -> None:
    """Found by the issue-13 review: a sender hanging up mid-body (starlette's
    ClientDisconnect) was logged as an unhandled error with a 500. Driven as raw ASGI,
    since an HTTP client cannot hang up half-way on purpose."""
    import asyncio

    _, job, request_id = submitted
    body, headers = fal.delivery(request_id)
    app = load_handler("webhooks").app
    messages = iter(
        [
            {"type": "http.request", "body": body[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict] = []

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/fal",
        "raw_path": b"/webhooks/fal",
        "root_path": "",
        "query_string": webhook_query(job["id"]).encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("videogen")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # the tests' LOG_LEVEL is WARNING
    try:
        # in a thread of its own: another test may have left this thread's loop running
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, app(scope, receive, send)).result()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    seen = [(r.getMessage(), r.levelname) for r in records]
    assert ("webhook sender disconnected mid-body", "INFO") in seen
    assert all(r.levelno < logging.ERROR and r.exc_info is None for r in records), seen
    assert job_status(db, job["id"]) == "submitted"
