"""A local stand-in for fal.ai's queue that behaves like it at the webhook boundary.

It accepts a submission, and after a short delay POSTs the webhook URL with a body shaped
like fal's and headers signed with its own ED25519 key, whose JWKS the local stack serves
at /local/fal/jwks.json. The webhook route verifies it exactly as it verifies fal, and
copies the small real MP4 shipped in `assets/` from the local stack's own URL.
A prompt containing "[fail]" ends in a fal-style ERROR delivery, to see failures locally;
one containing "[stuck]" stays in the queue with no webhook, as a job stuck at fal does,
to try the admin's "Re-check now" and "Fail and refund" (docs/architecture.md, "Admin").
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from videogen.generations.provider import (
    CancelOutcome,
    ProviderRejected,
    ProviderStatus,
    QueueState,
)
from videogen.settings import get_settings

logger = logging.getLogger(__name__)

SAMPLE_VIDEO = Path(__file__).parent / "assets" / "sample.mp4"


@dataclass
class _Request:
    model: str
    arguments: dict[str, Any]
    webhook_url: str
    state: QueueState = "IN_QUEUE"
    output: dict[str, Any] | None = None
    error: str | None = None
    timer: threading.Timer | None = field(default=None, repr=False)


class FalSimulator:
    def __init__(self, *, base_url: str, delay_seconds: float, account_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id  # fal names the account in X-Fal-Webhook-User-Id
        self.delay_seconds = delay_seconds
        self.private_key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:12]
        self._requests: dict[str, _Request] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)

    # --- the provider port ---
    def submit(self, model: str, arguments: dict[str, Any], webhook_url: str) -> str:
        request_id = str(uuid.uuid4())
        request = _Request(model, arguments, webhook_url)
        with self._lock:
            self._requests[request_id] = request
        if "[stuck]" not in str(arguments.get("prompt", "")):
            request.timer = threading.Timer(self.delay_seconds, self._finish, args=(request_id,))
            request.timer.daemon = True
            request.timer.start()
        return request_id

    def status(self, model: str, request_id: str) -> ProviderStatus:
        request = self._get(request_id)
        return ProviderStatus(request.state, request.error)

    def result(self, model: str, request_id: str) -> dict[str, Any]:
        request = self._get(request_id)
        if request.output is None:
            raise ProviderRejected("The request has no result.", details={"status": 400})
        return request.output

    def cancel(self, model: str, request_id: str) -> CancelOutcome:
        """As fal: a queued request is removed, a running one is only signalled (and runs
        on), a finished one answers ALREADY_COMPLETED
        (https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request)."""
        with self._lock:
            request = self._requests.get(request_id)
            if request is None:
                return "NOT_FOUND"
            if request.state == "COMPLETED":
                return "ALREADY_COMPLETED"
            if request.state == "IN_QUEUE":
                request.state = "COMPLETED"
                request.error = "Request was cancelled."
                if request.timer:
                    request.timer.cancel()
        return "CANCELLATION_REQUESTED"

    # --- what fal would do ---
    def jwks(self) -> dict[str, Any]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # unpadded, like fal's
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid}]}

    def signed_headers(self, request_id: str, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        message = "\n".join(
            [request_id, self.account_id, timestamp, hashlib.sha256(body).hexdigest()]
        ).encode()
        return {
            "content-type": "application/json",
            "x-fal-webhook-request-id": request_id,
            "x-fal-webhook-user-id": self.account_id,
            "x-fal-webhook-timestamp": timestamp,
            "x-fal-webhook-signature": self.private_key.sign(message).hex(),
        }

    def _get(self, request_id: str) -> _Request:
        with self._lock:
            request = self._requests.get(request_id)
        if request is None:
            raise ProviderRejected("Request not found.", details={"status": 404})
        return request

    def _finish(self, request_id: str) -> None:
        request = self._get(request_id)
        failed = "[fail]" in str(request.arguments.get("prompt", ""))
        with self._lock:
            if request.state != "IN_QUEUE":
                return  # cancelled meanwhile
            request.state = "COMPLETED"
            if failed:
                request.error = "Simulated failure: the prompt asked for it."
            else:
                request.output = {
                    "video": {
                        "url": f"{self.base_url}/local/fal/media/sample.mp4",
                        "content_type": "video/mp4",
                        "file_name": "sample.mp4",
                        "file_size": SAMPLE_VIDEO.stat().st_size,
                    },
                    "seed": 42,
                }
        body = json.dumps(
            {
                "request_id": request_id,
                "gateway_request_id": request_id,
                "status": "ERROR" if failed else "OK",
                "payload": request.output,
                "error": request.error,
            }
        ).encode()
        # fal waits 15 s and retries a failed delivery 10 times; a few quick tries do here.
        for attempt in range(3):
            try:
                response = self._http.post(
                    request.webhook_url, content=body, headers=self.signed_headers(request_id, body)
                )
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1 + attempt)
        logger.warning("simulated webhook not delivered", extra={"request_id": request_id})


@lru_cache
def get_simulator() -> FalSimulator:
    settings = get_settings()
    assert settings.fal_account_id is not None  # required by the local stack's start
    return FalSimulator(
        base_url=settings.public_base_url,
        delay_seconds=settings.simulator_delay_seconds,
        account_id=settings.fal_account_id,
    )
