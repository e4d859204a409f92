"""The shared app's error answers (videogen.api): validation errors are listed at most 20 at
a time, so no body can make an answer larger than Lambda's 6 MB response limit."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler

UNKNOWN = 100_000


@pytest.fixture
def client(fal: FakeFal) -> TestClient:
    return TestClient(load_handler("generations").app)


def _capped(response, total: int) -> dict:
    assert response.status_code == 422, response.text[:500]
    assert len(response.content) < 8 * 1024  # was 8.4 MB for 100 000 unknown parameters
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert len(error["details"]["fields"]) == 20
    assert error["details"]["total"] == total and error["details"]["truncated"] is True
    return error


def test_body_with_100000_unknown_parameters_gets_a_small_422(
    client: TestClient, make_user
) -> None:
    """Found by the issue-13 review: a 1.6 MB body answered with an 8.4 MB 422."""
    params = {f"p{i:06d}": 1 for i in range(UNKNOWN)}
    body = json.dumps({"model": "fal-ai/ltx-video", "prompt": "x", "params": params})
    assert len(body) > 1_000_000
    response = client.post(
        "/generations",
        content=body,
        headers={**make_user().headers, "Content-Type": "application/json"},
    )
    error = _capped(response, UNKNOWN)
    assert error["details"]["fields"][0]["field"] == "params.p000000"
    assert error["message"].endswith("params.p000019, ....")


def test_body_with_100000_unknown_top_level_fields_gets_a_small_422(
    client: TestClient, make_user
) -> None:
    """The same through FastAPI's own request validation (`extra="forbid"` on the body)."""
    body = {"model": "fal-ai/ltx-video", "prompt": "x"}
    body.update({f"f{i:06d}": 1 for i in range(UNKNOWN)})
    response = client.post(
        "/generations",
        content=json.dumps(body),
        headers={**make_user().headers, "Content-Type": "application/json"},
    )
    _capped(response, UNKNOWN)


def test_a_few_validation_errors_are_all_listed_without_a_total(
    client: TestClient, make_user
) -> None:
    response = client.post("/generations", json={"prompt": ""}, headers=make_user().headers)
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert {f["field"] for f in details["fields"]} == {"model", "prompt"}
    assert "total" not in details and "truncated" not in details
