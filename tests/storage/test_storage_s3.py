"""Videos in S3-compatible storage: the test run's SeaweedFS server (the one `make run`
starts), as in production with Supabase Storage's S3 endpoint: the copy worker's upload,
presigned URLs checked by the server (signature, expiry, Range), storage outages. The
local server's own start and stop are tested in tests/local/test_object_store.py."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.fal import SAMPLE, FakeFal
from tests.support.handlers import load_handler
from tests.support.logs import logged
from videogen.local import object_store
from videogen.settings import Settings, SettingsMissing
from videogen.storage.s3 import S3ObjectStore

BUCKET = "videos"


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
    # what a <video> element asks first: a byte range
    ranged = httpx.get(url, headers={"Range": "bytes=0-11"})
    assert ranged.status_code == 206 and ranged.content == SAMPLE[:12]
    assert ranged.headers["content-type"] == "video/mp4"


def test_presigned_urls_are_checked_by_the_server(s3, s3_endpoint: str) -> None:
    """A forged, unsigned or expired URL is refused, as by Supabase Storage or AWS S3 (the
    local server has an identity configured: without one it would serve anyone)."""
    s3.put_object(Bucket=BUCKET, Key="videos/x/y.mp4", Body=b"secret", ContentType="video/mp4")
    store = S3ObjectStore(
        BUCKET,
        endpoint_url=s3_endpoint,
        access_key_id=object_store.LOCAL_ACCESS_KEY_ID,
        secret_access_key=object_store.LOCAL_SECRET_ACCESS_KEY,
    )
    url = store.signed_url("videos/x/y.mp4", 60)
    assert httpx.get(url).content == b"secret"
    forged = httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    assert httpx.get(url.split("?")[0]).status_code == 403
    short = store.signed_url("videos/x/y.mp4", 1)
    time.sleep(2.1)
    expired = httpx.get(short)
    assert expired.status_code == 403 and b"expired" in expired.content


def test_storage_down_is_retried_and_leaves_nothing(fal: FakeFal, make_user, configure, db) -> None:
    configure(
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


def test_local_settings_without_an_endpoint_say_how_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Locally, storage without an endpoint would be AWS with whatever keys lie around."""
    monkeypatch.delenv("STORAGE_ENDPOINT_URL")
    with pytest.raises(SettingsMissing, match=r"STORAGE_ENDPOINT_URL.*make run"):
        Settings().require("storage")


def test_kpi_keys_come_in_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_S3_ACCESS_KEY_ID", "key")
    with pytest.raises(SettingsMissing, match="KPI_S3_SECRET_ACCESS_KEY"):
        Settings().require("kpi_runner")
