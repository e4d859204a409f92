"""Every HTTP function as Lambda runs it: Mangum, API Gateway HTTP API v2 events."""

from __future__ import annotations

import pytest

from tests.support.apigw import http_api_event, invoke
from tests.support.copies import run_copy_worker
from tests.support.emf import emf_records, named
from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler

pytestmark = pytest.mark.lambda_runtime


def test_generation_loop_through_lambda_events(fal: FakeFal, make_user, db, capsys) -> None:
    user = make_user(role="admin")
    generations = load_handler("generations").handler
    webhooks = load_handler("webhooks").handler
    admin = load_handler("admin").handler

    status, _, models = invoke(generations, http_api_event("GET", "/models"))
    assert status == 200 and len(models) == 5

    status, _, job = invoke(
        generations,
        http_api_event(
            "POST",
            "/generations",
            body={
                "model": "fal-ai/veo3.1",
                "prompt": "photosynthesis",
                "params": {"duration": "4s"},
            },
            headers={**user.headers, "Idempotency-Key": "lambda-test-1"},
        ),
    )
    assert status == 201, job
    assert job["cost_estimate_usd"] == 0.8

    request_id = next(iter(fal.requests))
    body, headers = fal.delivery(request_id)
    status, _, answer = invoke(
        webhooks,
        http_api_event(
            "POST", "/webhooks/fal", raw_body=body, headers=headers, query=webhook_query(job["id"])
        ),
    )
    assert status == 200 and answer == {"outcome": "finishing"}
    assert run_copy_worker() == 1
    # the loop's metrics, as CloudWatch Logs would read them from stdout, name the job
    found = emf_records(capsys.readouterr().out)
    for metric in ("SubmissionAccepted", "WebhookOutcome", "CopySucceeded"):
        (record,) = [m.record for m in named(found, metric)]
        assert record["job_id"] == job["id"], metric
        if metric != "CopySucceeded":  # served through Mangum: the invocation is named too
            assert record["function"] == "videogen-test" and record["lambda_request_id"]

    status, _, page = invoke(
        generations, http_api_event("GET", "/generations", headers=user.headers, query="limit=5")
    )
    assert status == 200 and page["items"][0]["status"] == "completed"
    assert page["items"][0]["video"]["size_bytes"] > 0

    status, _, users = invoke(admin, http_api_event("GET", "/admin/users", headers=user.headers))
    assert status == 200 and users["items"][0]["used_today"] == 1


def test_webhook_signature_failure_through_lambda(fal: FakeFal) -> None:
    webhooks = load_handler("webhooks").handler
    body, headers = fal.delivery("req-1")
    headers["X-Fal-Webhook-Signature"] = "00" * 64
    query = webhook_query("00000000-0000-0000-0000-000000000001")
    status, _, answer = invoke(
        webhooks,
        http_api_event("POST", "/webhooks/fal", raw_body=body, headers=headers, query=query),
    )
    assert status == 401 and answer["error"]["code"] == "invalid_signature"
    status, _, answer = invoke(
        webhooks, http_api_event("POST", "/webhooks/fal", raw_body=body, headers=headers)
    )
    assert status == 401 and answer["error"]["code"] == "invalid_webhook_token"
