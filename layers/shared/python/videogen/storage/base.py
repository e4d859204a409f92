"""The storage port and how an adapter is chosen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from videogen.errors import ServiceUnavailable


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message = "Video storage is unavailable; try again shortly."


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: datetime


class ObjectStore(Protocol):
    bucket: str

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        """Stores the file under `key`, replacing any object there (so retries are safe)."""

    def delete(self, key: str) -> None:
        """Removes the object; a missing object is not an error."""

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        """A URL anyone holding it can GET the object with, until it expires."""

    def list_objects(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[StoredObject]:
        """Objects whose key starts with `prefix`, in key order, after `start_after`;
        at most `limit` of them (all with None). For erasure and the orphan sweep."""


VIDEOS_PREFIX = "videos/"


def user_prefix(user_id: object) -> str:
    """Where every video of one account lives."""
    return f"{VIDEOS_PREFIX}{user_id}/"


def video_key(user_id: object, job_id: object) -> str:
    """One deterministic key per job: a repeated copy overwrites, never duplicates."""
    return f"{user_prefix(user_id)}{job_id}.mp4"
