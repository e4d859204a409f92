"""Structured JSON logs never carry secrets, whatever a caller passes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.apigw import LambdaContext, http_api_event, invoke
from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler
from tests.support.logs import json_lines, logged
from videogen import logs
from videogen.logs import JsonFormatter


def test_log_lines_are_json_and_secret_fields_are_redacted() -> None:
    record = logging.makeLogRecord(
        {
            "name": "videogen.test",
            "levelname": "INFO",
            "msg": "user %s signed in",
            "args": ("ada",),
            "user_id": "42",
            "password": "hunter2-42",
            "access_token": "eyJhbGciOi...",
            "Authorization": "Bearer abc",
        }
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "user ada signed in" and entry["user_id"] == "42"
    assert entry["password"] == entry["access_token"] == entry["Authorization"] == "[redacted]"
    assert "hunter2" not in line and "eyJhbGciOi" not in line and "abc" not in line


# --- correlation: invocation, request and job ids on every line ----------------------------

FRESH_PROCESS = """
import json, logging, sys
from videogen import logs
logs.configure_logging("INFO")
log = logging.getLogger("videogen.probe")

class Context:
    function_name = "from-context"
    def __init__(self, request_id): self.aws_request_id = request_id

@logs.lambda_handler
def handler(event, context):
    log.info("first level")
    with logs.bind(job_id="job-1"):
        with logs.bind(job_id="job-2", origin_request_id="apigw-9"):
            log.info("nested")
        log.info("outer again")
    return "done"

log.info("at init")
handler({"source": "aws.scheduler"}, Context("lambda-1"))
handler({"requestContext": {"requestId": "apigw-2"}}, Context("lambda-2"))
log.info("after")
"""


@pytest.mark.lambda_runtime
def test_plain_handler_lines_name_function_invocation_cold_start_and_bound_job(
    tmp_path: Path,
) -> None:
    """In a fresh process, as Lambda runs one: only the first invocation is a cold start;
    bound ids nest and come back; nothing leaks past the invocation."""
    env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "videogen-prod-reconcile"}
    out = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], env=env, capture_output=True, text=True, check=True
    ).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    keys = ("message", "function", "lambda_request_id", "apigw_request_id", "cold_start")
    seen = [tuple(line.get(k) for k in (*keys, "job_id", "origin_request_id")) for line in lines]
    fn = "videogen-prod-reconcile"  # the runtime's variable wins over the context's name
    assert seen == [
        ("at init", fn, None, None, None, None, None),
        ("first level", fn, "lambda-1", None, True, None, None),
        ("nested", fn, "lambda-1", None, True, "job-2", "apigw-9"),
        ("outer again", fn, "lambda-1", None, True, "job-1", None),
        ("first level", fn, "lambda-2", "apigw-2", False, None, None),
        ("nested", fn, "lambda-2", "apigw-2", False, "job-2", "apigw-9"),
        ("outer again", fn, "lambda-2", "apigw-2", False, "job-1", None),
        ("after", fn, None, None, None, None, None),
    ]


def test_explicit_fields_win_and_bound_secrets_are_redacted() -> None:
    with json_lines("videogen.probe") as lines, logs.bind(job_id="bound", token="s3cr3t"):
        logging.getLogger("videogen.probe").warning("x", extra={"job_id": "explicit"})
    (line,) = lines
    assert line["job_id"] == "explicit" and line["token"] == "[redacted]"


@pytest.mark.lambda_runtime
def test_http_request_lines_carry_lambda_and_apigw_ids_into_the_threadpool(
    fal: FakeFal, make_user, configure
) -> None:
    """Through Mangum with an API Gateway v2 event: the sync endpoint runs in FastAPI's
    threadpool, and its lines (the job's, once it exists) still name the request; the
    client gets API Gateway's request id back as X-Request-Id."""
    user = make_user()
    configure(LOG_LEVEL="INFO")
    handler = load_handler("generations").handler
    event = http_api_event(
        "POST",
        "/generations",
        body={"model": "fal-ai/ltx-video", "prompt": "a comet"},
        headers=user.headers,
    )
    context = LambdaContext()
    with logged("videogen.generations.service") as records, json_lines() as lines:
        status, headers, job = invoke(handler, event, context)
    assert status == 201, job
    apigw_id = event["requestContext"]["requestId"]
    assert headers["x-request-id"] == apigw_id
    submitted = next(line for line in lines if line["message"] == "job submitted")
    assert submitted["job_id"] == job["id"]
    assert submitted["lambda_request_id"] == context.aws_request_id
    assert submitted["apigw_request_id"] == apigw_id
    assert submitted["function"] == context.function_name
    assert isinstance(submitted["cold_start"], bool)
    (record,) = [r for r in records if r.getMessage() == "job submitted"]
    assert record.thread != threading.get_ident()  # it ran in the threadpool

    # The next request is its own: no id of the first survives into it.
    event = http_api_event("GET", "/generations/allowance", headers=user.headers)
    status, headers, _ = invoke(handler, event)
    assert status == 200 and headers["x-request-id"] == event["requestContext"]["requestId"]
    assert logs.current().get("apigw_request_id") is None


@pytest.mark.lambda_runtime
def test_errors_carry_the_request_id_header_too(fal: FakeFal) -> None:
    handler = load_handler("generations").handler
    event = http_api_event("POST", "/generations", body={"model": "x", "prompt": "y"})
    status, headers, body = invoke(handler, event)
    assert status == 401 and body["error"]["code"] == "missing_token"
    assert headers["x-request-id"] == event["requestContext"]["requestId"]


def test_without_api_gateway_no_request_id_is_invented(generations) -> None:
    """Served by the local stack (uvicorn, no Lambda event): no header, nothing bound."""
    response = generations.get("/models")
    assert response.status_code == 200 and "x-request-id" not in response.headers


@pytest.mark.lambda_runtime
def test_a_delivery_can_be_followed_from_webhook_to_copy_worker(
    fal: FakeFal, make_user, configure
) -> None:
    """The webhook's lines name the job (once its URL token is verified) and the delivery;
    the copy worker's lines name the same job and, as `origin_request_id`, the delivery."""
    user = make_user()
    configure(LOG_LEVEL="INFO")
    generations = load_handler("generations").handler
    webhooks = load_handler("webhooks").handler
    _, _, job = invoke(
        generations,
        http_api_event(
            "POST",
            "/generations",
            body={"model": "fal-ai/ltx-video", "prompt": "a comet"},
            headers=user.headers,
        ),
    )
    (request_id,) = fal.requests
    body, signed = fal.delivery(request_id)
    event = http_api_event(
        "POST", "/webhooks/fal", raw_body=body, headers=signed, query=webhook_query(job["id"])
    )
    with json_lines() as lines:
        status, headers, answer = invoke(webhooks, event)
        assert status == 200 and answer == {"outcome": "finishing"}
        assert run_copy_worker() == 1
    delivery_id = event["requestContext"]["requestId"]
    assert headers["x-request-id"] == delivery_id
    recorded = next(line for line in lines if line["message"] == "webhook recorded")
    assert recorded["job_id"] == job["id"] and recorded["apigw_request_id"] == delivery_id
    stored = next(line for line in lines if line["message"] == "video stored")
    assert stored["job_id"] == job["id"] and stored["origin_request_id"] == delivery_id
