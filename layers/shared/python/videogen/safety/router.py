"""Safety events for the people responsible (admin function): a teacher sees their
students' refused prompts, a school admin their school's, an operator every school's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from videogen.auth.deps import Teacher
from videogen.db import Database, get_database
from videogen.safety import events
from videogen.safety.models import SafetyEventCount, SafetyEventOut, SafetyEventPage

router = APIRouter(prefix="/safety", tags=["safety"])
Db = Annotated[Database, Depends(get_database)]


@router.get("/events", response_model=SafetyEventPage, summary="Refused prompts, newest first")
def safety_events(
    member: Teacher,
    db: Db,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SafetyEventPage:
    with db.connection() as conn:
        rows, next_cursor = events.list_events(conn, member, cursor=cursor, limit=limit)
    return SafetyEventPage(
        items=[SafetyEventOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/events/count",
    response_model=SafetyEventCount,
    summary="How many refused prompts since a moment (the navigation's badge)",
)
def safety_event_count(
    member: Teacher,
    db: Db,
    since: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
) -> SafetyEventCount:
    with db.connection() as conn:
        count = events.count_events(conn, member, since=since)
    return SafetyEventCount(count=count, since=since)
