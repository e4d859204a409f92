"""Bodies of the generation routes. Clients send only model, prompt and parameters:
status, budgets, request ids and costs are the server's."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from videogen.budgets.models import Money

JobStatus = Literal[
    "queued", "submitted", "in_progress", "finishing", "completed", "failed", "cancelled"
]
FINAL_STATUSES: tuple[JobStatus, ...] = ("completed", "failed", "cancelled")
PROMPT_MAX_LENGTH = 2000


class GenerationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    model: str = Field(min_length=1, max_length=200, examples=["fal-ai/ltx-video"])
    prompt: str = Field(min_length=1, max_length=PROMPT_MAX_LENGTH)
    params: dict[str, Any] = Field(default_factory=dict)
    class_id: UUID | None = Field(
        default=None, description="File the video under one of your classes (optional)."
    )


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class EstimateOut(BaseModel):
    model: str
    params: dict[str, Any] = Field(description="The parameters as they would be sent.")
    cost_usd: float


class VideoOut(BaseModel):
    url: str = Field(description="Signed URL, valid until expires_at.")
    expires_at: datetime
    content_type: str
    size_bytes: int
    sha256: str


class VideoDeletedOut(BaseModel):
    deleted_at: datetime
    kept_days: int | None = Field(
        description="The school's retention that expired it, in days (null: deleted otherwise)."
    )


class GenerationOut(BaseModel):
    id: UUID
    model: str
    prompt: str
    params: dict[str, Any]
    status: JobStatus
    error: str | None
    error_code: str | None = Field(
        None, description="Why it failed, for machines: `failed_by_admin` (error: the reason)."
    )
    cost_estimate_usd: float | None
    created_at: datetime
    submitted_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    retry_of: UUID | None
    cancel_requested: bool = Field(
        False, description="Cancellation asked; the status changes once fal confirms it."
    )
    hidden: bool = Field(
        False, description="Hidden by a teacher: no video (no playback, no download)."
    )
    hidden_at: datetime | None = None
    hidden_reason: str | None = Field(None, description="The teacher's reason, for the student.")
    video: VideoOut | None = Field(None, description="None until completed, or when hidden.")
    video_deleted: VideoDeletedOut | None = Field(
        None,
        description="Set once the video was deleted (the job is kept): by the school's "
        "retention after `kept_days` days.",
    )


class HideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500, description="Shown to the student.")


class GenerationPage(BaseModel):
    items: list[GenerationOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class ModelOut(BaseModel):
    key: str
    title: str
    description: str
    parameters: dict[str, Any] = Field(description="JSON Schema of the model's parameters.")
    default_cost_usd: float


class AllowanceOut(BaseModel):
    """What the student may still spend. Money is a decimal string (exact; USD); null: no
    limit in that scope. Periods follow the school's time zone."""

    currency: Literal["USD"] = "USD"
    money_left_today: Money | None = Field(description="Left of the daily cap in money.")
    daily_money_cap: Money | None
    spent_today: Money = Field(description="Reserved and settled today.")
    videos_left_today: int | None = Field(description="Left of the daily cap in videos.")
    daily_video_cap: int | None
    videos_today: int
    resets_at: datetime = Field(description="When the student's day ends (school time zone).")
    school_month_left: Money | None = Field(description="Left of the school's monthly budget.")
    school_month_resets_at: datetime | None
    time_zone: str
