"""fal.ai's queue through fal-client.

fal-client reads its queue URL and retry count from module globals at call time; both are
set from settings here: the URL so a deployment (or a test) can point elsewhere, the retry
count because fal-client's own 10 attempts with back-off outlast API Gateway's 30 s limit.
A retried submit may create a second fal request for one of our jobs: the job row exists
before the submit and only the request id returned is stored, so a stray request's webhook
does not match the job and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fal_client
import httpx
from fal_client import client as fal_module
from fal_client.client import FalClientHTTPError, FalClientTimeoutError

from videogen.generations.provider import (
    CancelRefused,
    ProviderRejected,
    ProviderStatus,
    ProviderUnavailable,
)
from videogen.settings import Settings


class FalProvider:
    def __init__(self, key: str, *, queue_url: str, max_attempts: int, timeout: float) -> None:
        fal_module.QUEUE_URL_FORMAT = queue_url.rstrip("/") + "/"
        fal_module.MAX_ATTEMPTS = max_attempts
        self._client = fal_client.SyncClient(key=key, default_timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> FalProvider:
        assert settings.fal_key is not None  # enforced by Settings
        return cls(
            settings.fal_key.get_secret_value(),
            queue_url=settings.fal_queue_url,
            max_attempts=settings.fal_max_attempts,
            timeout=settings.http_timeout_seconds,
        )

    def submit(self, model: str, arguments: dict[str, Any], webhook_url: str) -> str:
        with _translated_errors():
            handle = self._client.submit(model, arguments, webhook_url=webhook_url)
        return handle.request_id

    def status(self, model: str, request_id: str) -> ProviderStatus:
        with _translated_errors():
            status = self._client.status(model, request_id)
        if isinstance(status, fal_client.Completed):
            return ProviderStatus("COMPLETED", error=status.error)
        if isinstance(status, fal_client.InProgress):
            return ProviderStatus("IN_PROGRESS")
        return ProviderStatus("IN_QUEUE")

    def result(self, model: str, request_id: str) -> dict[str, Any]:
        with _translated_errors():
            return self._client.result(model, request_id)  # type: ignore[return-value]

    def cancel(self, model: str, request_id: str) -> None:
        try:
            with _translated_errors():
                self._client.cancel(model, request_id)
        except ProviderRejected as exc:
            raise CancelRefused() from exc


@contextmanager
def _translated_errors() -> Iterator[None]:
    """fal-client's errors as ours: refusals (4xx) vs outages (5xx, timeouts, network)."""
    try:
        yield
    except FalClientHTTPError as exc:
        if exc.status_code >= 500 or exc.status_code in (408, 429):
            raise ProviderUnavailable() from exc
        raise ProviderRejected(f"The video service refused the request: {exc.message}") from exc
    except (httpx.HTTPError, FalClientTimeoutError) as exc:
        raise ProviderUnavailable() from exc
    except (KeyError, TypeError, ValueError) as exc:  # an answer not shaped as documented
        raise ProviderUnavailable("The video service gave an unexpected answer.") from exc
