"""The local stack as `make run` serves it: every function's routes on one real server, the
fal simulator calling the webhook back with a signed request, videos in the local store."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.local_server import local_stack
from tests.support.users import PASSWORD


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


def test_whole_loop_on_the_local_stack(local_server: str) -> None:
    http = httpx.Client(base_url=local_server, timeout=10)
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("/auth/register", "/generations", "/webhooks/fal", "/admin/users", "/me"):
        assert path in paths
    assert http.get("/docs").status_code == 200

    session = http.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    ).json()["session"]
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
    video = http.get(done["video"]["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"  # a real MP4
    assert wait_for(lambda: finished(failing["id"]))["status"] == "failed"

    forged = http.get(done["video"]["url"].replace("signature=", "signature=0"))
    assert forged.status_code == 404
