"""The storage port and how an adapter is chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from videogen.errors import ServiceUnavailable


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message = "Video storage is unavailable; try again shortly."


class ObjectStore(Protocol):
    bucket: str

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        """Stores the file under `key`, replacing any object there (so retries are safe)."""

    def delete(self, key: str) -> None:
        """Removes the object; a missing object is not an error."""

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        """A URL anyone holding it can GET the object with, until it expires."""


def video_key(user_id: object, job_id: object) -> str:
    """One deterministic key per job: a repeated copy overwrites, never duplicates."""
    return f"videos/{user_id}/{job_id}.mp4"
