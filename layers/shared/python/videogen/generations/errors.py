"""Errors a generation request can meet."""

from __future__ import annotations

from videogen.errors import AppError


class IdempotencyConflict(AppError):
    status_code = 409
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request body."


class CannotRetry(AppError):
    status_code = 409
    code = "cannot_retry"
    message = "Only a failed or cancelled generation can be retried."


class GenerationNotFound(AppError):
    status_code = 404
    code = "generation_not_found"
    message = "No such generation."


class VideoAlreadyHidden(AppError):
    status_code = 409
    code = "video_already_hidden"
    message = "This video is already hidden; show it again before hiding it with a new reason."


class VideoNotHidden(AppError):
    status_code = 409
    code = "video_not_hidden"
    message = "This video is not hidden."
