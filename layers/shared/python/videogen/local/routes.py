"""Routes only the local stack serves: what fal serves in production.

Videos are not among them: the local stack stores them in its own S3 server
(`videogen.local.object_store`) and clients fetch them from its presigned URLs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from videogen.local.fal_simulator import SAMPLE_VIDEO, get_simulator

router = APIRouter(prefix="/local", tags=["local stack"], include_in_schema=False)


@router.get("/fal/jwks.json")
def simulator_jwks() -> dict[str, Any]:
    """The simulator's public key, in the shape of fal's JWKS."""
    return get_simulator().jwks()


@router.get("/fal/media/sample.mp4")
def simulator_media() -> FileResponse:
    return FileResponse(SAMPLE_VIDEO, media_type="video/mp4")
