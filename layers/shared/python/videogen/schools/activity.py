"""The school's activity log (`public.school_activity`): who changed what, appended in the
transaction of the change, never rewritten; read by the school's admins newest first."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.errors import InvalidInput

if TYPE_CHECKING:
    from videogen.db import Connection

_COLUMNS = """a.id, a.school_id, a.actor_id, coalesce(p.email, '') as actor_email, a.action,
    a.subject_type, a.subject_id, a.details, a.created_at"""


def append(
    conn: Connection,
    *,
    school_id: UUID,
    actor_id: UUID | None,
    action: str,
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
    raw = json.dumps([row["created_at"].isoformat(), row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    """What `encode_cursor` wrote; anything else is a 422 naming `cursor`, never a 500."""
    refused = InvalidInput([("cursor", "Not a cursor this API returned.")])
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise refused from exc
    if not (
        isinstance(decoded, list)
        and len(decoded) == 2
        and isinstance(decoded[0], str)
        and type(decoded[1]) is int
        and 0 < decoded[1] < 2**63
    ):
        raise refused
    try:
        created = datetime.fromisoformat(decoded[0])
    except ValueError as exc:
        raise refused from exc
    if created.tzinfo is None:
        raise refused
    return created, decoded[1]
