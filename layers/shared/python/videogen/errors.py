"""One error shape for every route: `{"error": {"code", "message", "details"?}}`.

Services raise `AppError` (or a subclass); `install_error_handlers` turns it, request
validation errors, unknown routes and dependency outages into that shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


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


class AppError(Exception):
    """An error a client can act on: HTTP status, machine-readable code, human message."""

    status_code: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class InvalidInput(AppError):
    """Input the request schema accepted but the rules refuse, named field by field."""

    status_code = 422
    code = "validation_error"

    def __init__(self, fields: list[tuple[str, str]], *, code: str | None = None) -> None:
        names = ", ".join(dict.fromkeys(name for name, _ in fields))
        super().__init__(
            f"Invalid request: {names}.",
            code=code,
            details={"fields": [{"field": name, "message": msg} for name, msg in fields]},
        )


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable; try again shortly."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": "5"})
        super().__init__(message, **kwargs)


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
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
