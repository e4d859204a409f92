"""Builds the small FastAPI app each Lambda function serves, with the one error shape of
every route: `{"error": {"code", "message", "details"?}}`. `AppError` (or a subclass),
request validation errors, unknown routes and unexpected errors all answer in that shape.
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

from videogen.errors import AppError
from videogen.logs import configure_logging
from videogen.settings import get_settings
from videogen.snapstart import prepare_snapshot

logger = logging.getLogger(__name__)


def create_app(*routers: APIRouter, title: str) -> FastAPI:
    """An app with the given routers, the shared error shape and JSON logging."""
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(title=title, version="0.1.0")
    install_error_handlers(app)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    prepare_snapshot(app)  # only under SnapStart: adapters built before the snapshot
    return app


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
    422: "Invalid input; `details.fields` names the fields",
    429: "Quota or rate limit reached",
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
    fields = [{"field": _field_name(tuple(e.get("loc", ()))), "message": e["msg"]} for e in errors]
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return error_response(422, "validation_error", f"Invalid request: {names}.", {"fields": fields})


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


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
