"""Routes only the local stack serves: what fal and Supabase Storage serve in production."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from videogen.errors import NotFound
from videogen.local.fal_simulator import SAMPLE_VIDEO, get_simulator
from videogen.storage.base import get_object_store
from videogen.storage.local import LocalObjectStore

router = APIRouter(prefix="/local", tags=["local stack"], include_in_schema=False)


@router.get("/fal/jwks.json")
def simulator_jwks() -> dict[str, Any]:
    """The simulator's public key, in the shape of fal's JWKS."""
    return get_simulator().jwks()


@router.get("/fal/media/sample.mp4")
def simulator_media() -> FileResponse:
    return FileResponse(SAMPLE_VIDEO, media_type="video/mp4")


@router.get("/storage/{key:path}")
def stored_object(
    key: str, expires: Annotated[int, Query()], signature: Annotated[str, Query(max_length=128)]
) -> FileResponse:
    """A signed URL of the local object store: checked like a presigned S3 URL."""
    store = get_object_store()
    if not isinstance(store, LocalObjectStore) or not store.verify(key, expires, signature):
        raise NotFound("The link is invalid or has expired.", code="invalid_signed_url")
    path = store.path_of(key)
    if not path.is_file():
        raise NotFound("No such object.")
    return FileResponse(path, media_type="video/mp4")
