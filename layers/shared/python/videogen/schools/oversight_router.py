"""Teacher oversight routes (admin function): a class's roster and its students' videos,
for a teacher of the class, the school's admin or an operator; 404 `class_not_found` for
any other class."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from videogen.auth.deps import Teacher
from videogen.db import Database, get_database
from videogen.errors import NotFound
from videogen.generations.deps import get_generation_service
from videogen.generations.service import GenerationService
from videogen.schools import oversight
from videogen.schools.oversight_models import (
    ClassVideoOut,
    ClassVideoPage,
    RosterOut,
    RosterStudent,
)

router = APIRouter(tags=["classes"])
Db = Annotated[Database, Depends(get_database)]
Service = Annotated[GenerationService, Depends(get_generation_service)]


class ClassNotFound(NotFound):
    code = "class_not_found"
    message = "No such class among the classes you teach or oversee."


@router.get("/classes/{class_id}/roster", response_model=RosterOut, summary="A class's students")
def class_roster(class_id: UUID, member: Teacher, db: Db) -> RosterOut:
    with db.connection() as conn:
        klass = oversight.find_class(conn, member, class_id)
        if klass is None:
            raise ClassNotFound()
        rows = oversight.roster(conn, klass)
    return RosterOut(
        class_id=klass["id"],
        name=klass["name"],
        students=[RosterStudent.model_validate(r) for r in rows],
    )


@router.get(
    "/classes/{class_id}/videos",
    response_model=ClassVideoPage,
    summary="Every generation of the class's students, newest first",
)
def class_videos(
    class_id: UUID,
    member: Teacher,
    db: Db,
    service: Service,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
) -> ClassVideoPage:
    with db.connection() as conn:
        klass = oversight.find_class(conn, member, class_id)
        if klass is None:
            raise ClassNotFound()
        rows, next_cursor = oversight.videos(conn, klass, cursor=cursor, limit=limit)
        names = oversight.names(conn, list({r["user_id"] for r in rows}))
    items = [
        ClassVideoOut(
            **service.to_out(r).model_dump(),
            student_id=r["user_id"],
            student_name=names.get(r["user_id"]),
        )
        for r in rows
    ]
    return ClassVideoPage(items=items, next_cursor=next_cursor)
