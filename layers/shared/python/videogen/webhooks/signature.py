"""Verifies fal.ai webhook signatures exactly as fal documents them.

Headers `X-Fal-Webhook-Request-Id`, `-User-Id`, `-Timestamp` (epoch seconds) and
`-Signature` (hex). The signed message is the request id, user id, timestamp and the hex
SHA-256 of the raw body, joined by newlines, in UTF-8; it must verify with ED25519 against
one of the keys of fal's JWKS. Keys are fresh for 24 hours and refetched once (at most
every minute) when no cached key verifies, so a key rotation is picked up quickly; past 24 h
they keep verifying for another 24 h while fal's JWKS cannot be fetched (`videogen.keysets`).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from videogen.errors import AppError, ServiceUnavailable
from videogen.keysets import KeySetCache

if TYPE_CHECKING:
    import httpx

HEADER_REQUEST_ID = "x-fal-webhook-request-id"
HEADER_USER_ID = "x-fal-webhook-user-id"
HEADER_TIMESTAMP = "x-fal-webhook-timestamp"
HEADER_SIGNATURE = "x-fal-webhook-signature"
REQUIRED_HEADERS = (HEADER_REQUEST_ID, HEADER_USER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)


class SignatureRejected(AppError):
    status_code = 401
    code = "invalid_signature"
    message = "The webhook signature does not verify."


class SignatureKeysUnavailable(ServiceUnavailable):
    code = "signature_keys_unavailable"
    message = "fal's signing keys could not be fetched; deliver again later."


@dataclass(frozen=True)
class VerifiedDelivery:
    request_id: str
    user_id: str
    timestamp: int


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode(
        "utf-8"
    )


def _public_key(jwk: Mapping[str, object]) -> Ed25519PublicKey | None:
    x = jwk.get("x")
    if not isinstance(x, str) or jwk.get("crv", "Ed25519") != "Ed25519":
        return None
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))  # fal's keys come unpadded
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


def _parse_fal_jwks(document: dict[str, Any]) -> list[Ed25519PublicKey]:
    keys = [_public_key(k) for k in document.get("keys", [])]
    return [k for k in keys if k is not None]


class FalWebhookVerifier:
    def __init__(
        self,
        jwks_url: str,
        *,
        tolerance_seconds: int = 300,
        cache_seconds: float = 86_400,
        min_refetch_seconds: float = 60,
        max_stale_seconds: float = 86_400,
        failure_cooldown_seconds: float = 30,
        timeout: float = 5.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.tolerance_seconds = tolerance_seconds
        self._keys = KeySetCache(
            jwks_url,
            _parse_fal_jwks,
            ttl=cache_seconds,
            min_refetch=min_refetch_seconds,
            timeout=timeout,
            unavailable=SignatureKeysUnavailable,
            max_stale=max_stale_seconds,
            failure_cooldown=failure_cooldown_seconds,
            http=http,
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedDelivery:
        lowered = {k.lower(): v for k, v in headers.items()}
        missing = [h for h in REQUIRED_HEADERS if not lowered.get(h)]
        if missing:
            raise SignatureRejected(
                "Missing webhook signature headers: " + ", ".join(missing),
                code="missing_signature",
            )
        request_id, user_id = lowered[HEADER_REQUEST_ID], lowered[HEADER_USER_ID]
        timestamp = lowered[HEADER_TIMESTAMP]
        try:
            sent_at = int(timestamp)
            signature = bytes.fromhex(lowered[HEADER_SIGNATURE])
        except ValueError as exc:
            raise SignatureRejected("Malformed timestamp or signature header.") from exc
        if abs(time.time() - sent_at) > self.tolerance_seconds:
            raise SignatureRejected(
                "The webhook timestamp is outside the accepted window.", code="stale_timestamp"
            )
        message = signed_message(request_id, user_id, timestamp, body)
        for refetch in (False, True):
            for key in self._keys.get(refetch=refetch):
                try:
                    key.verify(signature, message)
                except CryptoInvalidSignature:
                    continue
                return VerifiedDelivery(request_id, user_id, sent_at)
        raise SignatureRejected()
