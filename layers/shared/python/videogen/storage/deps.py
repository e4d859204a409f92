"""Builds the object store from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from videogen.settings import require_settings
from videogen.storage.base import ObjectStore


@lru_cache
def get_object_store() -> ObjectStore:
    """Supabase Storage's S3 endpoint, AWS S3 or the local S3 server: one adapter, its
    endpoint from settings."""
    from videogen.storage.s3 import S3ObjectStore

    return S3ObjectStore.from_settings(require_settings("storage"))
