"""SQL for teacher oversight of a class: its roster and its students' videos, within the
caller's reach (videogen.schools.scope.class_in_reach: a teacher of the class, the school's
admin, an operator). A class out of reach is not found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.auth.members import Member
from videogen.generations.repository import JOB_SELECT, decode_cursor, encode_cursor
from videogen.schools.scope import class_in_reach

if TYPE_CHECKING:
    from videogen.db import Connection

Row = dict[str, Any]

_STUDENTS = (
    "select m.user_id from public.class_members m where m.class_id = %(class)s "
    "and m.role = 'student'"
)


def find_class(conn: Connection, member: Member, class_id: UUID) -> Row | None:
    where, params = class_in_reach(member)
    return conn.execute(
        f"""select c.id, c.name, c.school_id, c.archived_at from public.classes c
            where c.id = %(class)s and {where}""",
        {**params, "class": class_id},
    ).fetchone()


def roster(conn: Connection, klass: Row) -> list[Row]:
    """The class's students, by name, each with how many generations they have made at
    the school."""
    return conn.execute(
        """select p.id as user_id, p.display_name, p.email, m.joined_at,
                  (select count(*) from public.jobs j
                   where j.user_id = m.user_id and j.school_id = %(school)s) as video_count
           from public.class_members m join public.profiles p on p.id = m.user_id
           where m.class_id = %(class)s and m.role = 'student'
           order by lower(p.display_name), p.email""",
        {"class": klass["id"], "school": klass["school_id"]},
    ).fetchall()


def videos(
    conn: Connection, klass: Row, *, cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    """Every job of the class's students at the school, newest first (keyset cursor)."""
    where = f"j.school_id = %(school)s and j.user_id in ({_STUDENTS})"
    params: dict[str, Any] = {"class": klass["id"], "school": klass["school_id"]}
    if cursor is not None:
        created, job_id = decode_cursor(cursor)
        where += " and (j.created_at, j.id) < (%(c_at)s, %(c_id)s)"
        params.update(c_at=created, c_id=job_id)
    rows = conn.execute(
        JOB_SELECT + f" where {where} order by j.created_at desc, j.id desc limit %(limit)s",
        {**params, "limit": limit + 1},
    ).fetchall()
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def names(conn: Connection, user_ids: list[UUID]) -> dict[UUID, str]:
    rows = conn.execute(
        "select id, display_name from public.profiles where id = any(%s)", (user_ids,)
    ).fetchall()
    return {r["id"]: r["display_name"] for r in rows}
