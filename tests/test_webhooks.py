"""fal webhook deliveries: signature verification, exactly-once effect, video copy."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from tests.support.fal import SAMPLE, FakeFal
from tests.support.handlers import load_handler
from tests.support.users import User


@pytest.fixture
def generations(fal: FakeFal) -> TestClient:
    return TestClient(load_handler("generations").app)


@pytest.fixture
def webhooks(fal: FakeFal) -> TestClient:
    return TestClient(load_handler("webhooks").app)


@pytest.fixture
def submitted(generations: TestClient, fal: FakeFal, make_user) -> tuple[User, dict, str]:
    """A user, their submitted job, and the fal request id."""
    user = make_user()
    response = generations.post(
        "/generations",
        json={"model": "fal-ai/ltx-video", "prompt": "a comet"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    job = response.json()
    (request_id,) = fal.requests
    return user, job, request_id


def deliver(webhooks: TestClient, job_id: str, body: bytes, headers: dict):
    return webhooks.post(f"/webhooks/fal?job_id={job_id}", content=body, headers=headers)


def count(db, sql: str, *args) -> int:
    return db.execute(sql, args).fetchone()[0]


def test_ok_delivery_completes_the_job_and_stores_the_video(
    webhooks, generations, fal, submitted, db, s3
) -> None:
    user, job, request_id = submitted
    response = deliver(webhooks, job["id"], *fal.delivery(request_id))
    assert response.status_code == 200, response.text
    assert response.json() == {"outcome": "applied"}

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
    assert event == (request_id, "applied", "OK")


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
    assert outcomes == ["applied"] + ["duplicate"] * 8
    assert count(db, "select count(*) from public.files where job_id = %s", job["id"]) == 1
    # duplicates are answered after one indexed lookup and leave no audit row
    assert count(db, "select count(*) from public.webhook_events") == 1


def test_error_delivery_fails_the_job_with_fals_text_and_refunds(
    webhooks, generations, fal, submitted
) -> None:
    user, job, request_id = submitted
    response = deliver(webhooks, job["id"], *fal.delivery(request_id, ok=False))
    assert response.json() == {"outcome": "applied"}
    failed = generations.get(f"/generations/{job['id']}", headers=user.headers).json()
    assert failed["status"] == "failed"
    assert failed["error"] == "Model crashed: CUDA out of memory"
    assert failed["video"] is None
    quota = generations.get("/generations/quota", headers=user.headers).json()
    assert quota["used_today"] == 0


def test_unknown_and_mismatched_deliveries_are_recorded_and_harmless(
    webhooks, fal, submitted, db
) -> None:
    _, job, request_id = submitted
    unknown = deliver(webhooks, "00000000-0000-0000-0000-000000000000", *fal.delivery("r-1"))
    assert unknown.json() == {"outcome": "unknown_job"}
    stray = deliver(webhooks, job["id"], *fal.delivery("some-other-request"))
    assert stray.json() == {"outcome": "request_mismatch"}
    no_job_param = webhooks.post(
        "/webhooks/fal", content=fal.delivery(request_id)[0], headers=fal.delivery(request_id)[1]
    )
    assert no_job_param.json() == {"outcome": "applied"}  # found by its request id
    outcomes = [r[0] for r in db.execute("select outcome from public.webhook_events order by id")]
    assert outcomes == ["unknown_job", "request_mismatch", "applied"]


def test_late_delivery_after_cancel_changes_nothing(
    webhooks, generations, fal, submitted, db
) -> None:
    user, job, request_id = submitted
    assert generations.post(f"/generations/{job['id']}/cancel", headers=user.headers).is_success
    late = deliver(webhooks, job["id"], *fal.delivery(request_id))
    assert late.json() == {"outcome": "duplicate"}
    assert count(db, "select count(*) from public.files") == 0
    status = db.execute("select status from public.jobs where id = %s", (job["id"],)).fetchone()
    assert status == ("cancelled",)


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
    assert deliver(webhooks, job["id"], *fal.delivery("warm-up")).status_code == 200
    assert fal.jwks_fetches == 1
    new_key = Ed25519PrivateKey.generate()
    fal.keys = [new_key]
    # the cache refetches at most once a minute: age it past that
    from videogen.webhooks.deps import get_webhook_verifier

    get_webhook_verifier()._keys._fetched_at -= 61
    response = deliver(webhooks, job["id"], *fal.delivery(request_id, key=new_key))
    assert response.json() == {"outcome": "applied"}
    assert fal.jwks_fetches == 2


def test_oversized_body_is_413(webhooks, fal, submitted, configure) -> None:
    _, job, request_id = submitted
    configure(WEBHOOK_MAX_BODY_BYTES="2048")
    webhooks = TestClient(load_handler("webhooks").app)
    body = json.dumps({"request_id": request_id, "status": "OK", "pad": "x" * 4096}).encode()
    response = deliver(webhooks, job["id"], body, fal.sign(request_id, body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_video_url_on_another_host_is_never_fetched(webhooks, fal, submitted, db) -> None:
    """SSRF: a payload pointing at the metadata service or a lookalike host is refused."""
    _, job, request_id = submitted
    for url in (
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://localhost:5432/",
        "https://fal.media.evil.example/v.mp4",
        "file:///etc/passwd",
    ):
        response = deliver(webhooks, job["id"], *fal.delivery(request_id, video_url=url))
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "media_url_refused"
    assert db.execute("select status from public.jobs").fetchone() == ("submitted",)
    assert count(db, "select count(*) from public.webhook_events where outcome = 'error'") == 4


def test_media_host_failure_is_503_so_fal_retries(webhooks, fal, submitted, db) -> None:
    _, job, request_id = submitted
    fal.media_status = 404
    response = deliver(webhooks, job["id"], *fal.delivery(request_id))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "media_unavailable"
    assert db.execute("select status from public.jobs").fetchone() == ("submitted",)
    fal.media_status = 200
    assert deliver(webhooks, job["id"], *fal.delivery(request_id)).json() == {"outcome": "applied"}


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
    assert db.execute("select status from public.jobs").fetchone() == ("submitted",)
