"""fal's webhook keys and header checks (videogen.webhooks.signature), below the HTTP tests
of tests/webhooks/test_webhooks.py: each pins a mutant those let through (make mutate)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from videogen.webhooks.signature import (
    REQUIRED_HEADERS,
    FalWebhookVerifier,
    SignatureRejected,
    _parse_fal_jwks,
)


def raw(public_key) -> bytes:  # type: ignore[no-untyped-def]
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def unpadded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_fal_jwks_keeps_only_ed25519_keys() -> None:
    """fal's JWKS (https://docs.fal.ai/model-apis/model-endpoints/webhooks#verifying-webhook-signatures):
    OKP keys, `crv` Ed25519, `x` unpadded base64url. A key of another curve of the same size
    (X25519), or with no usable `x`, is skipped; a key that names no curve is taken as Ed25519;
    a document with no `keys` has none."""
    ed, bare = Ed25519PrivateKey.generate().public_key(), Ed25519PrivateKey.generate().public_key()
    x25519 = raw(X25519PrivateKey.generate().public_key())
    document = {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": unpadded(raw(ed))},
            {"kty": "OKP", "x": unpadded(raw(bare))},
            {"kty": "OKP", "crv": "X25519", "x": unpadded(x25519)},
            {"kty": "OKP", "crv": "Ed25519", "x": 12345},
            {"kty": "OKP", "crv": "Ed25519", "x": unpadded(b"short")},
            {"kty": "OKP", "crv": "Ed25519"},
        ]
    }
    assert [raw(k) for k in _parse_fal_jwks(document)] == [raw(ed), raw(bare)]
    assert _parse_fal_jwks({}) == []


def test_missing_signature_headers_are_all_named() -> None:
    verifier = FalWebhookVerifier("http://127.0.0.1:9/.well-known/jwks.json")  # never fetched
    with pytest.raises(SignatureRejected) as rejected:
        verifier.verify({"X-Fal-Webhook-Request-Id": "r1"}, b"{}")
    assert rejected.value.code == "missing_signature"
    assert rejected.value.message == (
        "Missing webhook signature headers: " + ", ".join(REQUIRED_HEADERS[1:])
    )


@pytest.mark.parametrize(("timestamp", "signature"), [("soon", "00"), ("1700000000", "zz")])
def test_malformed_timestamp_or_signature_header_is_named(timestamp: str, signature: str) -> None:
    verifier = FalWebhookVerifier("http://127.0.0.1:9/.well-known/jwks.json")  # never fetched
    headers = dict(zip(REQUIRED_HEADERS, ["r1", "u1", timestamp, signature], strict=True))
    with pytest.raises(SignatureRejected) as rejected:
        verifier.verify(headers, b"{}")
    assert rejected.value.code == "invalid_signature"
    assert rejected.value.message == "Malformed timestamp or signature header."
