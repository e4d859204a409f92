"""Builds the small FastAPI app each Lambda function serves, with the one error shape of
every route: `{"error": {"code", "message", "details"?}}`. `AppError` (or a subclass),
request validation errors, unknown routes and unexpected errors all answer in that shape.

Each request served through Mangum logs with its Lambda and API Gateway request ids
(`videogen.logs`), and answers with API Gateway's in `X-Request-Id` so a user can quote it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videogen import logs
from videogen.errors import AppError, field_errors
from videogen.logs import configure_logging
from videogen.settings import get_settings
from videogen.snapstart import prepare_snapshot

logger = logging.getLogger(__name__)


def create_app(*routers: APIRouter, title: str) -> FastAPI:
    """An app with the given routers, the shared error shape and JSON logging."""
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(title=title, version="0.1.0")
    app.add_middleware(LambdaRequestContext)
    install_error_handlers(app)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    prepare_snapshot(app)  # only under SnapStart: adapters built before the snapshot
    return app


REQUEST_ID_HEADER = "X-Request-Id"


def apigw_request_id(scope: Scope) -> str | None:
    """API Gateway's id of the request Mangum is serving (None outside Lambda). Mangum puts
    the Lambda event and context in the ASGI scope as `aws.event` / `aws.context`:
    https://github.com/Kludex/mangum/blob/0.22.0/mangum/handlers/api_gateway.py#L186-L187"""
    event = scope.get("aws.event")
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    value = request_context.get("requestId") if isinstance(request_context, dict) else None
    return str(value) if value else None


class LambdaRequestContext:
    """Pure ASGI middleware: the request's log fields from Mangum's scope, and API Gateway's
    request id in the `X-Request-Id` response header. (Pure ASGI, not BaseHTTPMiddleware,
    which would run the endpoint in another task and buffer the response.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "aws.event" not in scope:
            await self.app(scope, receive, send)
            return
        # No reset: the request's asyncio task, and with it this context, ends with the
        # request; the unexpected-error handler, outside this middleware, still logs them.
        logs.start_invocation(scope["aws.event"], scope.get("aws.context"))
        request_id = apigw_request_id(scope)

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start" and request_id:
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_request_id)


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, stable: branch on this.")
    message: str = Field(description="Human-readable; may change.")
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


_ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed",
    404: "Not found (another user's object is not found either)",
    409: "Conflict with the current state",
    413: "Body too large",
    422: "Invalid input; `details.fields` names the fields (the first 20; `details.total` "
    "counts them all when `details.truncated`)",
    429: "A budget (`budget_exceeded`) or the rate limit reached",
    502: "An outside service refused the request",
    503: "A dependency is unavailable; retry later (Retry-After)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in _ERROR_DESCRIPTIONS.items()
}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status_code, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0]) if loc else "request"


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(422, "malformed_json", "The request body is not valid JSON.")
    message, details = field_errors(
        [(_field_name(tuple(e.get("loc", ()))), e["msg"]) for e in errors]
    )
    return error_response(422, "validation_error", message, details)


_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error")
    # Answered from outside the middleware stack: the request id header is added here.
    request_id = apigw_request_id(request.scope)
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    return error_response(500, "internal_error", "An unexpected error occurred.", headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
