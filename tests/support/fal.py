"""A fake fal.ai at its HTTP boundary: queue API, JWKS, media host, signed deliveries.

A real HTTP server on 127.0.0.1, shaped as fal documents its queue
(https://fal.ai/docs/model-endpoints/queue): submit answers `request_id`, `status_url`,
`response_url`, `cancel_url`; status answers `IN_QUEUE` / `IN_PROGRESS` / `COMPLETED`;
cancel follows https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request.
Deliveries follow https://fal.ai/docs/model-endpoints/webhooks and are signed here
independently of the project's code: ED25519 over request id, user id, timestamp and the
body's hex SHA-256, joined by newlines.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# The apps this fake serves: the video endpoints fal's own client types list at fal-js
# commit 381105e (2026-08-02), libs/client/src/types/endpoints.ts,
# https://github.com/fal-ai/fal-js/blob/381105e138b85502b528fb8f6c16d909e30e462a/libs/client/src/types/endpoints.ts
# That update dropped `fal-ai/veo3`, so this fake no longer serves it. Written out here,
# not read from the project's catalogue, so a catalogue typo fails against it.
KNOWN_ENDPOINTS = frozenset(
    {
        "fal-ai/ltx-video",
        "fal-ai/kling-video/v2.1/master/text-to-video",
        "fal-ai/veo3.1",
        "fal-ai/veo3.1/fast",
        "fal-ai/wan-t2v",
    }
)

SAMPLE = (
    Path(__file__).resolve().parents[2] / "layers/shared/python/videogen/local/assets/sample.mp4"
).read_bytes()
FAL_USER_ID = "fal-user-123"
OTHER_FAL_USER_ID = "fal-user-someone-else"
WEBHOOK_SECRET = "test-webhook-token-secret"  # tests/conftest.py sets it as the app's


def webhook_query(job_id: object, secret: str = WEBHOOK_SECRET) -> str:
    """The query of the webhook URL we give fal for a job: its id and HMAC-SHA256 token."""
    token = hmac.new(secret.encode(), f"fal-webhook:{job_id}".encode(), hashlib.sha256)
    return f"job_id={job_id}&token={token.hexdigest()}"


@dataclass
class FakeRequest:
    app: str
    arguments: dict[str, Any]
    webhook_url: str | None
    authorization: str | None
    state: str = "IN_QUEUE"
    error: str | None = None
    status_code: int = 200  # what its status URL answers (a 5xx: fal's queue failing)
    headers: dict[str, str] = field(default_factory=dict)  # every header of the submit
    path: str = ""  # the submit's path and query, as sent


@dataclass
class FakeFal:
    requests: dict[str, FakeRequest] = field(default_factory=dict)
    submits: list[str] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)
    submit_responses: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    media_status: int = 200
    media_delay: float = 0.0  # seconds the media host waits before sending the video
    media_fetches: int = 0
    result_status: int = 200
    submit_delay: float = 0.0
    on_submit: Callable[[str], None] | None = None  # runs once fal holds the request
    cancel_ignored: bool = False  # a cancel answered 202 that did not stop the request
    status_requests: list[str] = field(default_factory=list)
    keys: list[Ed25519PrivateKey] = field(default_factory=lambda: [Ed25519PrivateKey.generate()])
    endpoints: frozenset[str] = KNOWN_ENDPOINTS
    jwks_fetches: int = 0

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def media_url(self) -> str:
        return f"{self.url}/files/video.mp4"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what fal's servers hold ---
    def jwks(self) -> dict[str, Any]:
        keys = []
        for key in self.keys:
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            keys.append(
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),  # unpadded
                    "kid": hashlib.sha256(raw).hexdigest()[:16],
                }
            )
        return {"keys": keys}

    def delivery(
        self,
        request_id: str,
        *,
        ok: bool = True,
        video_url: str | None = None,
        error: str = "Model crashed: CUDA out of memory",
        key: Ed25519PrivateKey | None = None,
        timestamp: int | None = None,
        body: bytes | None = None,
        user_id: str = FAL_USER_ID,
        gateway_request_id: str | None = None,
        payload_error: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook body and its signed headers, as fal would POST them. With
        `payload_error`, fal could not serialize the output: `payload` is null."""
        if body is None:
            payload = (
                {
                    "video": {
                        "url": video_url or self.media_url,
                        "content_type": "video/mp4",
                        "file_name": "video.mp4",
                        "file_size": len(SAMPLE),
                    },
                    "seed": 1234,
                }
                if ok and payload_error is None
                else None
            )
            body = json.dumps(
                {
                    "request_id": request_id,
                    "gateway_request_id": gateway_request_id or request_id,
                    "status": "OK" if ok else "ERROR",
                    "payload": payload,
                    "error": None if ok else error,
                    "payload_error": payload_error,
                }
            ).encode()
        signed_id = gateway_request_id or request_id
        return body, self.sign(signed_id, body, key=key, timestamp=timestamp, user_id=user_id)

    def webhook_path(self, request_id: str) -> str:
        """Where fal would POST this request's delivery: the webhook URL given at submit."""
        webhook = self.requests[request_id].webhook_url
        assert webhook is not None
        url = urlsplit(webhook)
        return f"{url.path}?{url.query}"

    def sign(
        self,
        request_id: str,
        body: bytes,
        *,
        key: Ed25519PrivateKey | None = None,
        timestamp: int | None = None,
        user_id: str = FAL_USER_ID,
    ) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        message = f"{request_id}\n{user_id}\n{ts}\n{hashlib.sha256(body).hexdigest()}"
        signature = (key or self.keys[0]).sign(message.encode("utf-8")).hex()
        return {
            "content-type": "application/json",
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": ts,
            "X-Fal-Webhook-Signature": signature,
        }


def _handler_for(fal: FakeFal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/.well-known/jwks.json":
                fal.jwks_fetches += 1
                return self._json(200, fal.jwks())
            if path == "/files/video.mp4":
                fal.media_fetches += 1
                time.sleep(fal.media_delay)
                if fal.media_status != 200:
                    return self._json(fal.media_status, {"detail": "gone"})
                self.send_response(200)
                self.send_header("content-type", "video/mp4")
                self.send_header("content-length", str(len(SAMPLE)))
                self.end_headers()
                self.wfile.write(SAMPLE)
                return None
            parts = path.strip("/").split("/")
            if "requests" in parts:
                request_id = parts[parts.index("requests") + 1]
                request = fal.requests.get(request_id)
                if request is None:
                    return self._json(404, {"detail": "Request not found"})
                if parts[-1] == "status":
                    fal.status_requests.append(request_id)
                    if request.status_code != 200:
                        return self._json(request.status_code, {"detail": "Internal error"})
                    body: dict[str, Any] = {"status": request.state, "request_id": request_id}
                    if request.state == "IN_QUEUE":
                        body["queue_position"] = 0
                    if request.state == "IN_PROGRESS":
                        body["logs"] = None
                    if request.state == "COMPLETED":
                        body.update(logs=None, metrics={"inference_time": 12.5})
                        if request.error:
                            body["error"] = request.error
                    return self._json(200, body)
                if request.state != "COMPLETED" or request.error or fal.result_status != 200:
                    # the result of an unfinished or failed request is refused (a 4xx)
                    code = fal.result_status if fal.result_status != 200 else 400
                    return self._json(code, {"detail": request.error or "Request not completed"})
                return self._json(
                    200,
                    {
                        "video": {
                            "url": fal.media_url,
                            "content_type": "video/mp4",
                            "file_name": "video.mp4",
                            "file_size": len(SAMPLE),
                        },
                        "seed": 1234,
                    },
                )
            return self._json(404, {"detail": "Not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            arguments = json.loads(self.rfile.read(length) or b"{}")
            url = urlsplit(self.path)
            app = url.path.strip("/")
            fal.submits.append(app)
            if app not in fal.endpoints:
                # An app id fal does not serve is a 404, e.g. POST https://fal.run/fast-sdxl
                # (no owner) answered "404: Not Found": https://github.com/vercel/ai/issues/4794
                return self._json(404, {"detail": "Not Found"})
            if fal.submit_responses:
                time.sleep(fal.submit_delay)
                status, body = fal.submit_responses.pop(0)
                if status != 200:
                    return self._json(status, body)
            # The request is queued before the answer is written: an answer lost on the way
            # (a client timing out during `submit_delay`) leaves fal holding the request.
            request_id = str(uuid.uuid4())
            webhook = parse_qs(url.query).get("fal_webhook", [None])[0]
            fal.requests[request_id] = FakeRequest(
                app,
                arguments,
                webhook,
                self.headers.get("authorization"),
                headers={k.lower(): v for k, v in self.headers.items()},
                path=self.path,
            )
            if fal.on_submit is not None:
                fal.on_submit(request_id)
            if not fal.submit_responses:
                time.sleep(fal.submit_delay)
            owner, alias = app.split("/")[:2]
            base = f"{fal.url}/{owner}/{alias}/requests/{request_id}"
            try:
                return self._json(
                    200,
                    {
                        "request_id": request_id,
                        "response_url": base,
                        "status_url": f"{base}/status",
                        "cancel_url": f"{base}/cancel",
                        "queue_position": 0,
                    },
                    headers={"x-fal-request-id": request_id},
                )
            except OSError:
                return None  # the client gave up waiting

        def do_PUT(self) -> None:
            # https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request:
            # a queued request is removed (202 CANCELLATION_REQUESTED); a running one only gets
            # a signal the model may ignore — it runs on and is billed (202 as well); a
            # finished one is 400 ALREADY_COMPLETED; an unknown one 404 NOT_FOUND. What status
            # a removed request reports is not documented: here COMPLETED with an error.
            parts = urlsplit(self.path).path.strip("/").split("/")
            request_id = parts[parts.index("requests") + 1]
            fal.cancels.append(request_id)
            request = fal.requests.get(request_id)
            if request is None:
                return self._json(404, {"status": "NOT_FOUND"})
            if request.state == "COMPLETED":
                return self._json(400, {"status": "ALREADY_COMPLETED"})
            if request.state == "IN_QUEUE" and not fal.cancel_ignored:
                request.state = "COMPLETED"
                request.error = "Request was cancelled."
            # `cancel_ignored`: the 202 only says the cancel was requested; the request was
            # picked up meanwhile and runs on, as a running one does.
            return self._json(202, {"status": "CANCELLATION_REQUESTED"})

    return Handler
