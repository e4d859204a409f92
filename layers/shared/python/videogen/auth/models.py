"""Request and response bodies of the auth routes.

Requests forbid unknown fields, so a client cannot slip in server-owned ones (role, caps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from videogen.auth.members import Role  # the one list of roles
from videogen.budgets.models import Money

CAPTCHA = (
    "hCaptcha or Turnstile response, passed to Supabase Auth when the project has captcha "
    "protection on (open deployments); ignored otherwise."
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterRequest(_Request):
    email: str = Field(min_length=3, max_length=254, examples=["ada@school.example"])
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=100, examples=["Ada"])
    captcha_token: str | None = Field(
        default=None, min_length=1, max_length=4096, description=CAPTCHA
    )
    join_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        examples=["7K3M-Q9TX"],
        description="A class's join code from its teacher: the account becomes a student "
        "of that class (any case; dash and spaces optional).",
    )
    invite_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A school admin's teacher invitation (the link's `invite`): the account "
        "becomes a teacher of that school. Only for the email it was sent to.",
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> RegisterRequest:
        if self.join_code is not None and self.invite_token is not None:
            raise ValueError("give a class code or a teacher invitation, not both")
        return self


class LoginRequest(_Request):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    captcha_token: str | None = Field(
        default=None, min_length=1, max_length=4096, description=CAPTCHA
    )


class RefreshRequest(_Request):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserOut(BaseModel):
    id: UUID
    email: str


class SessionOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int
    expires_at: int
    refresh_token: str
    user: UserOut


class RegisterResponse(BaseModel):
    """The same answer whether or not the email was already registered, so the route cannot
    be asked which emails have accounts. No session: the client signs in with /auth/login."""

    status: Literal["accepted"] = "accepted"
    confirmation_required: bool = Field(
        description="True when new accounts must confirm their email before signing in."
    )
    message: str


class ProfileOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    daily_video_cap: int | None = Field(
        description="Videos allowed per day of the school's time zone (the user's override, "
        "else the role's in their school); null: no cap (or no school yet)."
    )
    daily_money_cap: Money | None = Field(
        description="USD allowed per day, as a decimal string; null: no cap."
    )
    created_at: datetime
