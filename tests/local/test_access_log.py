"""Issue 13, "Local stack": the access log recorded signed storage URLs (and webhook URLs
with their token). The local stack's uvicorn access log keeps paths, never query strings."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from tests.support.local_server import local_stack


@pytest.fixture
def local_server(configure) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with local_stack(configure, simulator_delay=0.2) as base:
        yield base


def test_access_log_leaves_out_signed_query_strings(
    local_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    with httpx.Client(base_url=local_server, timeout=10) as http:
        http.get("/local/storage/videos/a.mp4?X-Amz-Signature=sig-123&X-Amz-Credential=cred-456")
        http.post("/webhooks/fal?job_id=00000000-0000-0000-0000-000000000000&token=tok-789")
        http.get("/models")
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 3, lines
    secrets = ("sig-123", "cred-456", "tok-789")
    assert not [line for line in lines if any(secret in line for secret in secrets)]
    assert '"GET /local/storage/videos/a.mp4?… HTTP/1.1" 404' in lines[0]
    assert '"POST /webhooks/fal?… HTTP/1.1"' in lines[1]
    assert '"GET /models HTTP/1.1" 200' in lines[2]
