"""SQL for safety events: recording a refused prompt, and reading them within the caller's
reach (videogen.schools.scope): a teacher their students', an admin their school's, an
operator all. Newest first, keyset-paginated on (created_at, id)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen import cursors
from videogen.auth.members import Member
from videogen.schools.scope import student_work

if TYPE_CHECKING:
    from videogen.db import Connection

Row = dict[str, Any]


def prompt_context(conn: Connection, user_id: UUID) -> Row | None:
    """The submitter's school and its own blocklist terms (None: no profile)."""
    return conn.execute(
        """select p.school_id, coalesce(s.blocklist_terms, '{}') as school_terms
           from public.profiles p left join public.schools s on s.id = p.school_id
           where p.id = %s""",
        (user_id,),
    ).fetchone()


def record(
    conn: Connection,
    *,
    school_id: UUID,
    class_id: UUID | None,
    user_id: UUID,
    rule: str,
    prompt: str,
    model: str | None,
) -> int:
    row = conn.execute(
        """insert into public.safety_events (school_id, class_id, user_id, rule, prompt, model)
           values (%s, %s, %s, %s, %s, %s) returning id""",
        (school_id, class_id, user_id, rule, prompt, model),
    ).fetchone()
    assert row is not None
    event_id: int = row["id"]
    return event_id


def _scope(member: Member) -> tuple[str, dict[str, Any]]:
    return student_work(member, user_column="e.user_id", school_column="e.school_id")


def list_events(
    conn: Connection, member: Member, *, cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    where, params = _scope(member)
    if cursor is not None:
        created, event_id = decode_cursor(cursor)
        where += " and (e.created_at, e.id) < (%(c_at)s, %(c_id)s)"
        params = {**params, "c_at": created, "c_id": event_id}
    rows = conn.execute(
        f"""select e.id, e.created_at, e.school_id, e.class_id, c.name as class_name,
                   e.user_id, p.display_name, p.email, e.rule, e.prompt, e.prompt_removed_at,
                   e.model
            from public.safety_events e
            left join public.profiles p on p.id = e.user_id
            left join public.classes c on c.id = e.class_id
            where {where}
            order by e.created_at desc, e.id desc limit %(limit)s""",
        {**params, "limit": limit + 1},
    ).fetchall()
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def count_events(conn: Connection, member: Member, *, since: datetime | None) -> int:
    where, params = _scope(member)
    if since is not None:
        where += " and e.created_at >= %(since)s"
        params = {**params, "since": since}
    row = conn.execute(
        f"select count(*) as n from public.safety_events e where {where}", params
    ).fetchone()
    return int(row["n"]) if row else 0


def encode_cursor(row: Row) -> str:
    return cursors.encode(row["created_at"], row["id"])


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """What `encode_cursor` made; anything else is a 422 naming `cursor`."""
    moment, event_id = cursors.decode(cursor)
    if not isinstance(event_id, int) or isinstance(event_id, bool):
        raise cursors.refused()
    return moment, event_id
