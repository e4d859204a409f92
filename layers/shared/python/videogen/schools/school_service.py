"""School use cases: operators list and create schools; a school's admin reads and changes
its settings and reads its activity log. Every change is appended to the log in its own
transaction (`school.create`, `school.update` with the changed fields)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from videogen.auth.members import Member
from videogen.db import Database
from videogen.errors import InvalidInput, NotFound
from videogen.schools import activity
from videogen.schools import school_repository as repo
from videogen.schools.school_models import (
    NOT_NULL,
    ActivityOut,
    ActivityPage,
    SchoolCreate,
    SchoolOut,
    SchoolPage,
    SchoolUpdate,
)


class SchoolNotFound(NotFound):
    code = "school_not_found"
    message = "No such school."


def target_school(member: Member, school_id: UUID | None) -> UUID:
    """The school a request is about: the caller's own, or (operators) the one named.
    Another school named by a school admin is not found, as its rows are."""
    if school_id is not None:
        if not member.sees_school(school_id):
            raise SchoolNotFound()
        return school_id
    if member.school_id is None:  # an operator of no school
        raise InvalidInput(
            [("school_id", "You belong to no school: name one with ?school_id=.")],
            code="school_required",
        )
    return member.school_id


def list_schools(db: Database) -> SchoolPage:
    with db.connection() as conn:
        rows = repo.every(conn)
    return SchoolPage(items=[SchoolOut.model_validate(r) for r in rows])


def create_school(db: Database, member: Member, body: SchoolCreate) -> SchoolOut:
    with db.connection() as conn:
        row = repo.create(conn, body.name, body.time_zone)
        activity.append(
            conn,
            school_id=row["id"],
            actor_id=member.id,
            action="school.create",
            subject_type="school",
            subject_id=row["id"],
            details={"name": body.name, "time_zone": body.time_zone},
        )
    return SchoolOut.model_validate(row)


def get_school(db: Database, school_id: UUID) -> SchoolOut:
    with db.connection() as conn:
        row = repo.get(conn, school_id)
    if row is None:
        raise SchoolNotFound()
    return SchoolOut.model_validate(row)


def update_school(db: Database, member: Member, school_id: UUID, body: SchoolUpdate) -> SchoolOut:
    sent = body.model_fields_set
    if not sent:
        raise InvalidInput([("body", f"Send one or more of: {', '.join(repo.SETTINGS)}.")])
    nulls = sorted(field for field in sent & NOT_NULL if getattr(body, field) is None)
    if nulls:
        raise InvalidInput([(field, "Cannot be null.") for field in nulls])
    with db.connection() as conn:
        current = repo.lock(conn, school_id)
        if current is None:
            raise SchoolNotFound()
        changes = {
            field: getattr(body, field) for field in sent if getattr(body, field) != current[field]
        }
        if not changes:
            return SchoolOut.model_validate(current)
        row = repo.update(conn, school_id, changes)
        activity.append(
            conn,
            school_id=school_id,
            actor_id=member.id,
            action="school.update",
            subject_type="school",
            subject_id=school_id,
            details={f: {"from": current[f], "to": v} for f, v in changes.items()},
        )
    return SchoolOut.model_validate(row)


def read_activity(db: Database, school_id: UUID, cursor: str | None, limit: int) -> ActivityPage:
    with db.connection() as conn:
        rows, next_cursor = activity.page(conn, school_id, cursor, limit)
    return ActivityPage(items=[_entry(r) for r in rows], next_cursor=next_cursor)


def _entry(row: dict[str, Any]) -> ActivityOut:
    return ActivityOut.model_validate(row)
