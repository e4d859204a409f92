"""API Gateway HTTP API (payload format 2.0) events, as Lambda receives them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


def http_api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    raw_body: bytes | None = None,
) -> dict[str, Any]:
    all_headers = {
        "accept": "application/json",
        "host": "abc123.execute-api.eu-west-3.amazonaws.com",
        "user-agent": "pytest",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    encoded = False
    text: str | None = None
    if body is not None:
        text = json.dumps(body)
        all_headers["content-type"] = "application/json"
    if raw_body is not None:
        text = base64.b64encode(raw_body).decode()
        encoded = True
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-3.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if text is not None:
        event["body"] = text
    return event


@dataclass
class LambdaContext:
    """The fields of the Lambda runtime's context object that Mangum and logs read."""

    function_name: str = "videogen-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-3:123456789012:function:videogen-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def invoke(
    handler: Any, event: dict[str, Any], context: LambdaContext | None = None
) -> tuple[int, dict[str, str], Any]:
    """Runs the Lambda handler; returns status, headers and the decoded JSON body."""
    response = handler(event, context or LambdaContext())
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    parsed = json.loads(body) if body else None
    return response["statusCode"], response.get("headers", {}), parsed
