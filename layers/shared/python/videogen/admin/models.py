"""Admin bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from videogen.auth.members import Role
from videogen.budgets.models import Money
from videogen.generations.models import GenerationOut


class UserOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    school_id: UUID | None = Field(description="Their school; null: none yet.")
    school_name: str | None
    daily_video_cap: int | None = Field(
        description="Videos a day: the override, else the role's in the school; null: none."
    )
    video_cap_override: int | None = Field(description="Null: the role's cap applies.")
    daily_money_cap: Money | None = Field(
        description="USD a day (decimal string): the override, else the role's; null: none."
    )
    money_cap_override: Money | None = Field(description="Null: the role's cap applies.")
    used_today: int = Field(description="Videos reserved or delivered today (the ledger).")
    spent_today: Money = Field(description="USD reserved or settled today (the ledger).")
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int


class UserUpdate(BaseModel):
    """Only the fields sent change; an override `null` returns to the role's cap.
    A school admin sets student, teacher or admin within their school; only an operator
    makes an operator or moves a user to another school (`school_id`; null: none)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    video_cap_override: int | None = Field(None, ge=0, le=10_000)
    money_cap_override: Decimal | None = Field(None, ge=0, le=1_000_000, decimal_places=2)
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
