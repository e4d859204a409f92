"""Structured JSON logs, one object per line (what CloudWatch Logs Insights queries best),
correlated: every line names the invocation and the job it belongs to.

Fields passed with `extra={...}` become top-level keys. Secrets never reach a log line:
known secret-bearing keys are redacted whatever the caller passes.

Correlation fields live in a context variable, not in the logger, so that code deep in the
package logs them without being handed anything:

- `function`: the Lambda function (`AWS_LAMBDA_FUNCTION_NAME`, set by the runtime),
- `lambda_request_id`, `apigw_request_id` (HTTP functions), `cold_start` (true only on the
  process's first invocation): set per invocation by `lambda_context`,
- `job_id` (and other ids) wherever one is in play: `bind`.

A context variable follows the code into FastAPI's threadpool (anyio copies the context into
each worker thread) and stays inside the asyncio task of one request. Powertools' Logger
does the same, but its import costs ~50 ms of cold start; this is a few lines of stdlib.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, TypeVar

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_REDACTED_KEYS = {
    "password",
    "access_token",
    "refresh_token",
    "token",
    "authorization",
    "secret",
    "api_key",
    "fal_key",
    "database_url",
}

_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "videogen_log_context", default=MappingProxyType({})
)
_PLAIN = (str, int, float, bool)  # kept as they are; anything else (a UUID) as its str()
_invocations = itertools.count()  # next() is atomic: the first caller alone sees 0


def _function_name() -> str | None:
    # Set by the Lambda runtime, not configuration (absent locally):
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME")


def current() -> dict[str, Any]:
    """The correlation fields in force here (what every log line and metric record carries)."""
    fields: dict[str, Any] = {}
    function = _function_name()
    if function:
        fields["function"] = function
    fields.update(_context.get())
    return fields


def request_id() -> str | None:
    """The id that names the request this code serves: API Gateway's for an HTTP call (what
    the client sees in `X-Request-Id`), else the Lambda invocation's."""
    fields = _context.get()
    value = fields.get("apigw_request_id") or fields.get("lambda_request_id")
    return str(value) if value else None


def invocation_fields(event: Any, context: Any) -> dict[str, Any]:
    """The per-invocation fields of a Lambda event and context; counts the invocation."""
    fields: dict[str, Any] = {"cold_start": next(_invocations) == 0}
    function = _function_name() or getattr(context, "function_name", None)
    if function:
        fields["function"] = function
    lambda_request_id = getattr(context, "aws_request_id", None)
    if lambda_request_id:
        fields["lambda_request_id"] = lambda_request_id
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(request_context, dict) and request_context.get("requestId"):
        fields["apigw_request_id"] = str(request_context["requestId"])  # HTTP API (v2) events
    return fields


@contextmanager
def lambda_context(event: Any, context: Any) -> Iterator[dict[str, Any]]:
    """Sets the invocation's fields for the block (or the decorated handler), replacing any
    left from before; restores what was there on exit. Yields the fields set."""
    fields = invocation_fields(event, context)
    token = _context.set(fields)
    try:
        yield fields
    finally:
        _context.reset(token)


R = TypeVar("R")


def lambda_handler(handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """Decorates a plain Lambda handler `(event, context)`: each invocation runs inside
    `lambda_context`, so its every line names the invocation."""

    @functools.wraps(handler)
    def invoke(event: Any, context: Any) -> R:
        with lambda_context(event, context):
            return handler(event, context)

    return invoke


def start_invocation(event: Any, context: Any) -> dict[str, Any]:
    """Sets the invocation's fields for the rest of the current context, with no reset: for
    an ASGI request, whose asyncio task (and so its context) ends with the request, and
    whose unexpected-error handler runs after the app's middleware has returned."""
    fields = invocation_fields(event, context)
    _context.set(fields)
    return fields


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Adds fields (e.g. `job_id=...`) to every line logged in the block; nested blocks
    override, and the outer values come back on exit. `None` values are left out."""
    values = {k: v if isinstance(v, _PLAIN) else str(v) for k, v in fields.items() if v is not None}
    token = _context.set({**_context.get(), **values})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Formatting happens in the thread that logs (no queue handler), so the context here
        # is the caller's. What the caller passes explicitly wins.
        entry.update(current())
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            entry[key] = value
        for key in entry:
            if key.lower() in _REDACTED_KEYS:
                entry[key] = "[redacted]"
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stdout as JSON; idempotent across warm invocations."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
