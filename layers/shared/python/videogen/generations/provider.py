"""The generation port: a queue that accepts a job and calls our webhook when it is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from videogen.errors import AppError, ServiceUnavailable


class ProviderRejected(AppError):
    """The provider refused the request (bad input, bad key, no credit): retrying won't help."""

    status_code = 502
    code = "provider_rejected"
    message = "The video service refused the request."


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    message = "The video service is unreachable; try again shortly."


class SubmitUnconfirmed(Exception):
    """The submit was sent but its answer was lost (a read timeout, a dropped connection):
    fal may or may not hold the request. Never submit again; fal's webhook, whose URL names
    the job, tells which request it became."""


class CancelRefused(AppError):
    status_code = 409
    code = "cannot_cancel"
    message = "This generation has already started or finished and cannot be cancelled."


CancelOutcome = Literal["CANCELLATION_REQUESTED", "ALREADY_COMPLETED", "NOT_FOUND"]
QueueState = Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]


@dataclass(frozen=True)
class ProviderStatus:
    state: QueueState
    error: str | None = None


class GenerationProvider(Protocol):
    def submit(self, model: str, arguments: dict[str, Any], webhook_url: str) -> str:
        """Queues the request once; returns the provider's request id. Raises
        ProviderRejected / ProviderUnavailable when fal surely holds no request, and
        SubmitUnconfirmed when it may."""

    def status(self, model: str, request_id: str) -> ProviderStatus: ...

    def result(self, model: str, request_id: str) -> dict[str, Any]:
        """The model's output of a completed request (what a webhook's `payload` holds)."""

    def cancel(self, model: str, request_id: str) -> CancelOutcome:
        """Asks fal to cancel. `CANCELLATION_REQUESTED` means asked, not done: a request
        still queued is removed, a running one only gets a signal it may ignore."""
