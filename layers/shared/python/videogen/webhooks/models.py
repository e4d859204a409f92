"""fal's webhook body, as documented: request_id, gateway_request_id, status, payload, error."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class FalVideo(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


class FalWebhookBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    request_id: str
    gateway_request_id: str | None = None
    status: Literal["OK", "ERROR"]
    payload: dict[str, Any] | None = None
    error: str | None = None
    payload_error: str | None = None

    def video(self) -> FalVideo | None:
        video = (self.payload or {}).get("video")
        return FalVideo.model_validate(video) if isinstance(video, dict) else None

    def error_text(self) -> str:
        return self.error or self.payload_error or "The video service reported an error."
