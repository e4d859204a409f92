"""The local stack as `make run` serves it: every function's routes on one real server, the
fal simulator calling the webhook back with a signed request, videos in the S3 server that
`make run` starts (SeaweedFS, tests/conftest.py) and played from its presigned URLs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support.local_server import kpi_settings, local_stack
from tests.support.users import PASSWORD, register_user
from videogen.local.object_store import LOCAL_SECRET_ACCESS_KEY


@pytest.fixture
def local_server(configure) -> Iterator[str]:
    with local_stack(configure, simulator_delay=0.2) as base:
        yield base


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_whole_loop_on_the_local_stack(local_server: str, s3_endpoint: str, s3) -> None:
    http = httpx.Client(base_url=local_server, timeout=10)
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("/auth/register", "/generations", "/webhooks/fal", "/admin/users", "/me"):
        assert path in paths
    assert http.get("/docs").status_code == 200

    registered = http.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    )
    assert registered.status_code == 202, registered.text
    session = http.post(
        "/auth/login", json={"email": "ada@school.example", "password": PASSWORD}
    ).json()
    auth = {"Authorization": f"Bearer {session['access_token']}"}
    job = http.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "a rainbow"}, headers=auth
    ).json()
    failing = http.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "[fail] storm"}, headers=auth
    ).json()

    def finished(job_id: str) -> dict | None:
        current = http.get(f"/generations/{job_id}", headers=auth).json()
        return current if current["status"] in ("completed", "failed") else None

    done = wait_for(lambda: finished(job["id"]))
    assert done["status"] == "completed"
    url = done["video"]["url"]
    assert url.startswith(f"{s3_endpoint}/videos/videos/") and "X-Amz-Signature=" in url
    (stored,) = s3.list_objects_v2(Bucket="videos")["Contents"]  # in the bucket, once
    assert stored["Key"].endswith(f"/{job['id']}.mp4")
    assert stored["Size"] == done["video"]["size_bytes"]
    video = http.get(url)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"  # a real MP4
    ranged = http.get(url, headers={"Range": "bytes=0-7"})  # how a <video> element asks
    assert ranged.status_code == 206 and ranged.content == video.content[:8]
    assert wait_for(lambda: finished(failing["id"]))["status"] == "failed"

    forged = http.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert forged.status_code == 403
    # the local stack serves no videos itself any more
    assert http.get("/local/storage/anything?expires=1&signature=x").status_code == 404


def test_web_client_csp_allows_exactly_the_object_store(local_server: str, s3_endpoint: str):
    """Both policies apply: the header (exactly the S3 server's origin for media) and the
    meta tag of index.html, which keeps production's https: and gains the local origin."""
    page = httpx.get(f"{local_server}/")
    header = page.headers["content-security-policy"]
    assert f"media-src 'self' {s3_endpoint};" in header
    assert f"media-src 'self' https: {s3_endpoint};" in page.text


@pytest.mark.spark
def test_kpi_run_writes_parquet_to_the_s3_server(
    configure, database_url: str, s3_endpoint: str, s3, tmp_path: Path
) -> None:
    """`make run`'s KPI settings: the local runner's job writes Parquet to `s3://kpis/…` on
    the S3 server (boto3 upload with the endpoint and keys), as EMR writes to S3."""
    prefix = f"run-{uuid.uuid4().hex[:8]}"
    configure(**kpi_settings(tmp_path / "runs", s3_endpoint, f"s3://kpis/{prefix}"))
    with local_stack(configure, simulator_delay=0.1) as base:
        http = httpx.Client(base_url=base, timeout=10)
        student = register_user(database_url, "ada@school.example")
        job = http.post(
            "/generations",
            json={"model": "fal-ai/ltx-video", "prompt": "a kite"},
            headers=student.headers,
        ).json()
        wait_for(
            lambda: (
                http.get(f"/generations/{job['id']}", headers=student.headers).json()["status"]
                == "completed"
            )
        )
        admin = register_user(
            database_url, "ops@deploy.example", role="operator"
        )  # deployment-wide
        today = datetime.now(UTC).date().isoformat()
        started = http.post(
            "/admin/kpis/run", headers=admin.headers, json={"from": today, "to": today}
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]

        def done() -> dict | None:
            state = http.get(f"/admin/kpis/runs/{run_id}", headers=admin.headers).json()
            return state if state["state"] in ("SUCCESS", "FAILED") else None

        state = wait_for(done, timeout=180)
        log = (tmp_path / "runs" / f"{run_id}.log").read_text()
        assert state["state"] == "SUCCESS", log[-3000:]
        assert LOCAL_SECRET_ACCESS_KEY not in log  # keys travel in the environment
        report = http.get(f"/admin/kpis?from={today}&to={today}", headers=admin.headers).json()
        assert report["days"][0]["jobs_total"] == 1

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="kpis", Prefix=prefix)["Contents"]}
    for dataset in ("daily", "models"):
        partition = f"{prefix}/{dataset}/job_date={today}/"
        assert any(k.startswith(partition) and k.endswith(".parquet") for k in keys), keys
