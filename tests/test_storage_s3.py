"""Videos in S3-compatible storage (moto's real S3 protocol server), as in production with
Supabase Storage's S3 endpoint: the copy worker's upload, presigned URLs, storage outages."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from tests.support.copies import run_copy_worker
from tests.support.fal import SAMPLE, FakeFal
from tests.support.handlers import load_handler
from tests.support.logs import logged

BUCKET = "videos"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, fal: FakeFal, configure):
    configure(
        STORAGE_BACKEND="s3",
        STORAGE_ENDPOINT_URL=s3_endpoint,
        STORAGE_ACCESS_KEY_ID="test-access",
        STORAGE_SECRET_ACCESS_KEY="test-secret",
        STORAGE_BUCKET=BUCKET,
    )
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _submit_and_deliver(fal: FakeFal, make_user) -> tuple:
    """Submits a job, delivers fal's OK (the job is then `finishing`) and runs the copy
    worker over the local copy queue; returns what the copy left."""
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    user = make_user()
    job = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "tides"}, headers=user.headers
    ).json()
    request_id = next(iter(fal.requests))
    response = webhooks.post(
        fal.webhook_path(request_id),
        content=(d := fal.delivery(request_id))[0],
        headers=d[1],
    )
    assert response.json() == {"outcome": "finishing"}
    run_copy_worker(max_polls=1)
    return generations, user, job, response


def test_video_copied_to_s3_and_served_by_presigned_url(s3, fal: FakeFal, make_user) -> None:
    generations, user, job, _ = _submit_and_deliver(fal, make_user)
    key = f"videos/{user.id}/{job['id']}.mp4"
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == len(SAMPLE)
    url = generations.get(f"/generations/{job['id']}", headers=user.headers).json()["video"]["url"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=900" in url
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == SAMPLE


def test_storage_down_is_retried_and_leaves_nothing(fal: FakeFal, make_user, configure, db) -> None:
    configure(
        STORAGE_BACKEND="s3",
        STORAGE_ENDPOINT_URL="http://127.0.0.1:9",
        STORAGE_ACCESS_KEY_ID="a",
        STORAGE_SECRET_ACCESS_KEY="b",
    )
    with logged("videogen.copies.worker") as records:
        _, _, job, _ = _submit_and_deliver(fal, make_user)
    codes = [getattr(r, "code", None) for r in records]
    assert codes == ["storage_unavailable"]
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    assert db.execute("select status from public.jobs where id = %s", (job["id"],)).fetchone() == (
        "finishing",
    )
    from videogen.copies.deps import get_copy_queue

    assert get_copy_queue().depth() == (1, 0)  # the task waits for its next attempt


def test_account_deletion_removes_videos_and_anonymises_jobs(
    s3, fal: FakeFal, make_user, db
) -> None:
    generations, user, job, _ = _submit_and_deliver(fal, make_user)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1
    response = generations.delete("/me", headers=user.headers)
    assert response.status_code == 204
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
    row = db.execute(
        "select user_id, prompt, status from public.jobs where id = %s", (job["id"],)
    ).fetchone()
    assert row == (None, "[deleted]", "completed")
    assert db.execute("select count(*) from auth.users").fetchone() == (0,)
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    auth = TestClient(load_handler("auth").app)
    login = auth.post("/auth/login", json={"email": user.email, "password": "correct-horse-42"})
    assert login.status_code == 401
