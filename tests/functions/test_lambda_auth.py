"""The auth function as Lambda runs it: Mangum with API Gateway HTTP API v2 events."""

from __future__ import annotations

import pytest

from tests.support.apigw import http_api_event, invoke
from tests.support.handlers import load_handler

pytestmark = pytest.mark.lambda_runtime


def test_register_sign_in_then_me_through_mangum() -> None:
    handler = load_handler("auth").handler
    status, headers, body = invoke(
        handler,
        http_api_event(
            "POST",
            "/auth/register",
            body={
                "email": "ada@school.example",
                "password": "correct-horse-42",
                "display_name": "Ada",
            },
        ),
    )
    assert status == 202, body
    assert headers["content-type"] == "application/json"
    status, _, body = invoke(
        handler,
        http_api_event(
            "POST",
            "/auth/login",
            body={"email": "ada@school.example", "password": "correct-horse-42"},
        ),
    )
    assert status == 200, body
    token = body["access_token"]

    status, _, profile = invoke(
        handler, http_api_event("GET", "/me", headers={"Authorization": f"Bearer {token}"})
    )
    assert status == 200
    assert profile["email"] == "ada@school.example" and profile["role"] == "student"


def test_errors_keep_their_shape_through_mangum() -> None:
    handler = load_handler("auth").handler
    status, _, body = invoke(handler, http_api_event("GET", "/me"))
    assert status == 401 and body["error"]["code"] == "missing_token"
    status, _, body = invoke(
        handler,
        http_api_event(
            "POST",
            "/auth/login",
            raw_body=b"{not json",
            headers={"content-type": "application/json"},
        ),
    )
    assert status == 422 and body["error"]["code"] == "malformed_json"
