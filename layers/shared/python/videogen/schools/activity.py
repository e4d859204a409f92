"""The school's activity log (`public.school_activity`): who changed what, appended in the
transaction of the change, never rewritten; read by the school's admins newest first.

Every action name is listed in `Action` (and in docs/architecture.md, "Activity"); mypy
refuses any other at the call sites.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from videogen import cursors

if TYPE_CHECKING:
    from videogen.db import Connection

Action = Literal[
    "school.create",  # an operator made the school: details {name, time_zone}
    "school.update",  # settings changed: details {field: {from, to}}
    "user.update",  # an admin changed a user (role, school, ...): details {field: {from, to}}
    "class.create",  # details {name}
    "class.rename",  # details {from, to}
    "class.archive",
    "class.unarchive",
    "code.rotate",  # a new join code (the old one stops working): details {expires_at, max_uses}
    "member.join",  # a student joined a class with its code
    "member.remove",  # a teacher removed a student from a class: details {class_id}
    "invite.create",  # a teacher invite was sent: details {email}
    "invite.revoke",
    "video.hide",  # a teacher hid a student's video: details {student_id, reason}
    "video.unhide",  # details {student_id}
    "budget.update",  # the school's budget or a role's limits: details {field: {from, to}}
    "class.budget",  # a class's monthly cap or model override: details {field: {from, to}}
]

_COLUMNS = """a.id, a.school_id, a.actor_id, coalesce(p.email, '') as actor_email, a.action,
    a.subject_type, a.subject_id, a.details, a.created_at"""


def append(
    conn: Connection,
    *,
    school_id: UUID,
    actor_id: UUID | None,
    action: Action,
    subject_type: str | None = None,
    subject_id: UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    from psycopg.types.json import Jsonb  # not at import: the cold start loads no driver

    conn.execute(
        """insert into public.school_activity
             (school_id, actor_id, action, subject_type, subject_id, details)
           values (%s, %s, %s, %s, %s, %s)""",
        (school_id, actor_id, action, subject_type, subject_id, Jsonb(details or {})),
    )


def page(
    conn: Connection, school_id: UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One school's entries, newest first, keyset-paginated on (created_at, id), as the
    job listings are."""
    clauses: list[str] = ["a.school_id = %s"]
    args: list[object] = [school_id]
    if cursor is not None:
        created, entry_id = _decode(cursor)
        clauses.append("(a.created_at, a.id) < (%s, %s)")
        args.extend([created, entry_id])
    rows = conn.execute(
        f"""select {_COLUMNS} from public.school_activity a
            left join public.profiles p on p.id = a.actor_id
            where {" and ".join(clauses)}
            order by a.created_at desc, a.id desc limit %s""",
        [*args, limit + 1],
    ).fetchall()
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def encode_cursor(row: dict[str, Any]) -> str:
    return cursors.encode(row["created_at"], row["id"])


def _decode(cursor: str) -> tuple[datetime, int]:
    """What `encode_cursor` wrote; anything else is a 422 naming `cursor`, never a 500."""
    created, entry_id = cursors.decode(cursor)
    if not (type(entry_id) is int and 0 < entry_id < 2**63):
        raise cursors.refused()
    return created, entry_id
