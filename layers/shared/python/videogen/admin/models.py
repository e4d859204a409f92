"""Admin bodies."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from videogen.auth.models import Role


class UserOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    daily_quota: int = Field(description="Effective quota (override or role default).")
    quota_override: int | None
    used_today: int
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int


class UserUpdate(BaseModel):
    """Only the fields sent change; `daily_quota: null` returns to the role's default."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    daily_quota: int | None = Field(None, ge=0, le=10_000)
