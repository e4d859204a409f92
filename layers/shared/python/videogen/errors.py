"""The errors services raise: plain exceptions with an HTTP status, a machine-readable code
and a human message. No web framework here, so functions that serve no HTTP (reconcile,
the KPI schedule, the copy worker) import none; `videogen.api` turns them into the one
error shape of every route, `{"error": {"code", "message", "details"?}}`.
"""

from __future__ import annotations

from typing import Any


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


MAX_LISTED_FIELDS = 20
"""Validation errors listed in one answer: a body with 100 000 unknown fields must not
answer with megabytes (Lambda refuses responses over 6 MB)."""


def field_errors(fields: list[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
    """The message and `details` of a validation error: the first `MAX_LISTED_FIELDS`
    fields, with `total` and `truncated` saying how many there were."""
    listed = fields[:MAX_LISTED_FIELDS]
    names = ", ".join(dict.fromkeys(name for name, _ in listed))
    details: dict[str, Any] = {"fields": [{"field": name, "message": msg} for name, msg in listed]}
    if len(fields) > len(listed):
        names += ", ..."
        details.update(total=len(fields), truncated=True)
    return f"Invalid request: {names}.", details


class InvalidInput(AppError):
    """Input the request schema accepted but the rules refuse, named field by field."""

    status_code = 422
    code = "validation_error"

    def __init__(self, fields: list[tuple[str, str]], *, code: str | None = None) -> None:
        message, details = field_errors(fields)
        super().__init__(message, code=code, details=details)


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable; try again shortly."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": "5"})
        super().__init__(message, **kwargs)
