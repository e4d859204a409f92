"""Bodies of the safety event routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class SafetyEventOut(BaseModel):
    id: int
    created_at: datetime
    school_id: UUID
    class_id: UUID | None
    class_name: str | None
    user_id: UUID | None = Field(description="None once the student's account is erased.")
    display_name: str | None
    email: str | None
    rule: str = Field(description="`builtin:<category>`, `school` or `deployment`.")
    prompt: str | None = Field(
        description="None once the school's retention (retention_days) has removed it."
    )
    prompt_removed_at: datetime | None
    model: str | None


class SafetyEventPage(BaseModel):
    items: list[SafetyEventOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class SafetyEventCount(BaseModel):
    count: int
    since: datetime | None
