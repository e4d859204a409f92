"""fal.ai's queue, spoken to directly over its REST API.

https://fal.ai/docs/model-endpoints/queue documents four calls: POST `{model_id}[/{subpath}]`
(submit; `?fal_webhook=` names our webhook), GET `.../requests/{id}/status`, GET
`.../requests/{id}` (result) and PUT `.../requests/{id}/cancel`; status, result and cancel
use the model id without its subpath. Authorization is `Key <FAL_KEY>`.

fal-client is not used: it retries a submit POST on timeouts and on 408/409/429 (up to ten
attempts), so one lost answer can become two billed requests, and its queue calls wait up
to 120 s. Here every call is made once, inside a time budget well under API Gateway's 30 s,
and a submit whose answer was lost is reported as unconfirmed, never sent again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from videogen.generations.provider import (
    CancelOutcome,
    ProviderRejected,
    ProviderStatus,
    ProviderUnavailable,
    SubmitUnconfirmed,
)
from videogen.settings import Settings

if TYPE_CHECKING:
    import httpx

STATES = ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")


def app_root(model: str) -> str:
    """`fal-ai/kling-video/v2.1/master/text-to-video` → `fal-ai/kling-video`: status, result
    and cancel URLs drop the subpath (https://fal.ai/docs/model-endpoints/queue)."""
    return "/".join(model.split("/")[:2])


class FalProvider:
    def __init__(
        self,
        key: str,
        *,
        queue_url: str,
        submit_timeout: float,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self._queue_url = queue_url.rstrip("/") + "/"
        self._submit_timeout = httpx.Timeout(submit_timeout, connect=min(3.0, submit_timeout))
        self._client = httpx.Client(
            headers={"Authorization": f"Key {key}"},
            timeout=httpx.Timeout(timeout, connect=min(3.0, timeout)),
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> FalProvider:
        assert settings.fal_key is not None  # required by get_provider
        return cls(
            settings.fal_key.get_secret_value(),
            queue_url=settings.fal_queue_url,
            submit_timeout=settings.fal_submit_timeout_seconds,
            timeout=settings.http_timeout_seconds,
        )

    def submit(self, model: str, arguments: dict[str, Any], webhook_url: str) -> str:
        import httpx

        url = self._queue_url + model
        try:
            response = self._client.post(
                url,
                params={"fal_webhook": webhook_url},
                json=arguments,
                timeout=self._submit_timeout,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ProviderUnavailable() from exc  # nothing reached fal
        except httpx.HTTPError as exc:
            # Sent, answer lost (read timeout, dropped connection): fal may hold it.
            raise SubmitUnconfirmed(type(exc).__name__) from exc
        if response.status_code == 504:
            # A gateway gave up waiting for fal's queue, which may still have taken it.
            raise SubmitUnconfirmed("gateway timeout")
        _raise_for_status(response)
        try:
            return str(response.json()["request_id"])
        except (ValueError, KeyError, TypeError) as exc:
            # A 200 is fal's word that the request is queued; we just cannot read its id.
            raise SubmitUnconfirmed("unreadable answer") from exc

    def status(self, model: str, request_id: str) -> ProviderStatus:
        body = self._call("GET", model, request_id, "/status")
        state = body.get("status")
        if state not in STATES:
            raise ProviderUnavailable("The video service gave an unexpected answer.")
        error = body.get("error")
        return ProviderStatus(state, error=str(error) if error else None)

    def result(self, model: str, request_id: str) -> dict[str, Any]:
        return self._call("GET", model, request_id, "")

    def cancel(self, model: str, request_id: str) -> CancelOutcome:
        import httpx

        url = self._request_url(model, request_id, "/cancel")
        try:
            response = self._client.put(url)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable() from exc
        # 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED, 404 NOT_FOUND
        # (https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request)
        if response.status_code == 202:
            return "CANCELLATION_REQUESTED"
        if response.status_code == 404:
            return "NOT_FOUND"
        if response.status_code == 400 and _json(response).get("status") == "ALREADY_COMPLETED":
            return "ALREADY_COMPLETED"
        _raise_for_status(response)
        raise ProviderUnavailable("The video service gave an unexpected answer.")

    def _request_url(self, model: str, request_id: str, suffix: str) -> str:
        return f"{self._queue_url}{app_root(model)}/requests/{quote(request_id, safe='')}{suffix}"

    def _call(self, method: str, model: str, request_id: str, suffix: str) -> dict[str, Any]:
        import httpx

        try:
            response = self._client.request(method, self._request_url(model, request_id, suffix))
        except httpx.HTTPError as exc:
            raise ProviderUnavailable() from exc
        _raise_for_status(response)
        body = _json(response)
        if not body:
            raise ProviderUnavailable("The video service gave an unexpected answer.")
        return body


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return cast(dict[str, Any], body) if isinstance(body, dict) else {}


def _raise_for_status(response: httpx.Response) -> None:
    """Refusals (4xx but 408/429) are final; outages (5xx, 408, 429) may pass."""
    code = response.status_code
    if code < 400:
        return
    if code >= 500 or code in (408, 429):
        raise ProviderUnavailable()
    detail = _json(response).get("detail")
    text = detail if isinstance(detail, str) else f"HTTP {code}"
    raise ProviderRejected(
        f"The video service refused the request: {text}"[:300], details={"status": code}
    )
