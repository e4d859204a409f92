"""Binds a webhook URL to its job: `?job_id=<id>&token=<HMAC-SHA256(secret, id)>`.

fal's signature proves that fal sent a delivery, not for whom: its signing keys are shared
by every fal customer. The token, which only we can make, proves the URL was ours for that
job, so a delivery aimed with `?job_id=` at someone else's job is refused before anything
else is read.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode
from uuid import UUID


def job_token(secret: str, job_id: UUID) -> str:
    return hmac.new(secret.encode(), f"fal-webhook:{job_id}".encode(), hashlib.sha256).hexdigest()


def token_matches(secret: str, job_id: UUID, token: str) -> bool:
    # bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500)
    return hmac.compare_digest(job_token(secret, job_id).encode(), token.encode())


def webhook_url(public_base_url: str, secret: str, job_id: UUID) -> str:
    query = urlencode({"job_id": str(job_id), "token": job_token(secret, job_id)})
    return f"{public_base_url.rstrip('/')}/webhooks/fal?{query}"
