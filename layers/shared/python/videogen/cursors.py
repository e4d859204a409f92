"""Keyset cursors for the newest-first listings (jobs, safety events, the activity log): an
opaque, unpadded base64 of `[created_at, id]`. One encoder and one decoder; each listing
checks only the kind of id it keys on."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from videogen.errors import InvalidInput


def refused() -> InvalidInput:
    """The answer to any cursor this API did not hand out: a 422 naming `cursor`."""
    return InvalidInput([("cursor", "Not a cursor this API returned.")])


def encode(created_at: datetime, key: object) -> str:
    raw = json.dumps([created_at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, object]:
    """The (created_at, id) an `encode` cursor holds, the id as JSON gave it. Anything else,
    including well-formed JSON of another shape, or a timestamp without its offset (ours
    carry it; a naive one would compare as local time), is `refused()`, never a crash."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:  # not base64, not UTF-8, or not JSON
        raise refused() from exc
    if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[0], str)):
        raise refused()
    try:
        created = datetime.fromisoformat(decoded[0])
    except ValueError as exc:
        raise refused() from exc
    if created.tzinfo is None:
        raise refused()
    return created, decoded[1]
