"""Request and response bodies of the classes, join-code and invite routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE_FIELD = "A class's join code (`XXXX-XXXX`; any case, dash and spaces optional)."


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClassCreate(_Request):
    name: str = Field(min_length=1, max_length=100, examples=["Year 9 Art"])


class ClassUpdate(_Request):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    archived: bool | None = Field(
        default=None, description="true archives (its code stops working), false restores."
    )

    @model_validator(mode="after")
    def _something(self) -> ClassUpdate:
        if self.name is None and self.archived is None:
            raise ValueError("give a name or archived")
        return self


class CodeRotate(_Request):
    expires_in_hours: int = Field(default=168, ge=1, le=720)
    max_uses: int = Field(default=40, ge=1, le=1000)


class ClassJoin(_Request):
    code: str = Field(min_length=1, max_length=32, description=CODE_FIELD)


class InviteCreate(_Request):
    email: str = Field(min_length=3, max_length=254, examples=["teacher@school.example"])
    role: Literal["teacher", "admin"] = Field(
        "teacher", description="What the account becomes: a teacher, or an admin of the school."
    )


class CodeOut(BaseModel):
    """The current code's metadata; the code itself is shown only when it is made."""

    expires_at: datetime
    max_uses: int
    uses: int
    created_at: datetime
    active: bool = Field(description="Not expired and not used up.")


class ClassOut(BaseModel):
    id: UUID
    school_id: UUID
    name: str
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    student_count: int
    teacher_count: int
    code: CodeOut | None = Field(
        description="The current join code (teachers and admins only; null: none)."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any], *, show_code: bool, now: datetime) -> ClassOut:
        code = None
        if show_code and row["code_expires_at"] is not None:
            code = CodeOut(
                expires_at=row["code_expires_at"],
                max_uses=row["code_max_uses"],
                uses=row["code_uses"],
                created_at=row["code_created_at"],
                active=row["code_expires_at"] > now and row["code_uses"] < row["code_max_uses"],
            )
        return cls(
            id=row["id"],
            school_id=row["school_id"],
            name=row["name"],
            archived=row["archived_at"] is not None,
            archived_at=row["archived_at"],
            created_at=row["created_at"],
            student_count=row["student_count"],
            teacher_count=row["teacher_count"],
            code=code,
        )


class ClassList(BaseModel):
    items: list[ClassOut]


class NewCode(BaseModel):
    """Shown once: only its HMAC is kept."""

    class_id: UUID
    code: str = Field(examples=["7K3M-Q9TX"], description="Shown once; only a hash is kept.")
    expires_at: datetime
    max_uses: int
    uses: int


class InviteOut(BaseModel):
    id: UUID
    email: str
    role: str = Field(description="teacher or admin")
    expires_at: datetime
    created_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    status: str = Field(description="pending, used, revoked or expired")

    @classmethod
    def from_row(cls, row: dict[str, Any], now: datetime) -> InviteOut:
        if row["used_at"] is not None:
            status = "used"
        elif row["revoked_at"] is not None:
            status = "revoked"
        elif row["expires_at"] <= now:
            status = "expired"
        else:
            status = "pending"
        return cls(**{k: row[k] for k in cls.model_fields if k != "status"}, status=status)


class NewInvite(InviteOut):
    token: str = Field(description="Shown once: the teacher registers with it (?invite=…).")


class InviteList(BaseModel):
    items: list[InviteOut]
