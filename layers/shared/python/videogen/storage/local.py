"""A local folder as object store, with HMAC-signed expiring URLs the local stack serves."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from videogen.settings import Settings


def _signature(secret: bytes, key: str, expires: int) -> str:
    return hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


class LocalObjectStore:
    def __init__(self, root: Path, bucket: str, *, base_url: str, secret: bytes) -> None:
        self.bucket = bucket
        self.root = root / bucket
        self._base_url = base_url.rstrip("/")
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalObjectStore:
        assert settings.supabase_jwt_secret is not None  # required with the local stack
        secret = hmac.new(
            settings.supabase_jwt_secret.get_secret_value().encode(), b"local-storage", "sha256"
        ).digest()
        return cls(
            Path(settings.storage_local_dir),
            settings.storage_bucket,
            base_url=settings.public_base_url,
            secret=secret,
        )

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("object key escapes the bucket")
        return path

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)  # atomic: readers never see half a video

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        expires = int(time.time()) + ttl_seconds
        query = urlencode({"expires": expires, "signature": _signature(self._secret, key, expires)})
        return f"{self._base_url}/local/storage/{quote(key)}?{query}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(_signature(self._secret, key, expires), signature)
