"""Bodies of the teacher oversight routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from videogen.generations.models import GenerationOut


class RosterStudent(BaseModel):
    user_id: UUID
    display_name: str
    email: str
    joined_at: datetime
    video_count: int = Field(description="Generations this student has made at the school.")


class RosterOut(BaseModel):
    class_id: UUID
    name: str
    students: list[RosterStudent]


class ClassVideoOut(GenerationOut):
    student_id: UUID
    student_name: str | None


class ClassVideoPage(BaseModel):
    items: list[ClassVideoOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
