"""HMAC-SHA256 under keys derived from one server secret, one key per use (label).

A stored hash (an erased account's email, a join code, a teacher invite token) means nothing
outside its use: each use derives its own key from the deployment's `WEBHOOK_TOKEN_SECRET`
with a label of its own, so no second secret has to be provisioned.
"""

from __future__ import annotations

import hashlib
import hmac


def derived_hmac(secret: str, label: bytes, message: str) -> str:
    """Hex HMAC-SHA256 of `message` under the key HMAC(secret, label)."""
    key = hmac.new(secret.encode(), label, hashlib.sha256).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
