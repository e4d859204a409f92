"""Admin bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from videogen.auth.members import Role
from videogen.generations.models import GenerationOut


class UserOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    school_id: UUID | None = Field(description="Their school; null: none yet.")
    school_name: str | None
    daily_quota: int = Field(description="Effective quota (override or role default).")
    quota_override: int | None
    used_today: int
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int


class UserUpdate(BaseModel):
    """Only the fields sent change; `daily_quota: null` returns to the role's default.
    A school admin sets student, teacher or admin within their school; only an operator
    makes an operator or moves a user to another school (`school_id`; null: none)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    daily_quota: int | None = Field(None, ge=0, le=10_000)
    school_id: UUID | None = None


class AdminJobOut(GenerationOut):
    """A job as an admin sees it: whose, and which school's."""

    user_id: UUID | None = Field(description="Its owner; null once their account is erased.")
    school_id: UUID | None
    school_name: str | None


class AdminJobPage(BaseModel):
    items: list[AdminJobOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class JobFail(BaseModel):
    """Why the job is failed: shown to its owner as the job's error, kept in the audit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, max_length=500, examples=["fal outage, refunded"])


class AdminActionOut(BaseModel):
    """One recorded admin action on a job (`public.job_admin_actions`)."""

    id: int
    action: Literal["fail", "recheck"]
    outcome: str = Field(
        description="fail: `failed`. recheck: `still_queued`, `in_progress`, `finished_finishing`"
        " (the video is being copied), `finished_failed`, `finished_cancelled`,"
        " `copy_requeued` or `not_submitted` (no fal request to ask about)."
    )
    reason: str | None
    fal_answer: str | None = Field(
        description="What fal answered: to the cancel (fail: CANCELLATION_REQUESTED,"
        " ALREADY_COMPLETED, NOT_FOUND, or `unreachable`/`refused`), or the queue status"
        " (recheck: IN_QUEUE, IN_PROGRESS, COMPLETED); null when fal was not asked."
    )
    admin_id: UUID | None
    created_at: datetime


class JobActionOut(BaseModel):
    job: GenerationOut = Field(description="The job as it is after the action.")
    action: AdminActionOut
    replayed: bool = Field(
        False, description="True: this fail was already done (same reason); nothing changed."
    )
