"""The school's activity log: append-only, one row per change a teacher or admin makes,
written in the transaction of the change itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection


def append(
    conn: Connection,
    *,
    school_id: UUID,
    actor_id: UUID,
    action: str,
    subject_type: str | None = None,
    subject_id: UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        """insert into public.school_activity
             (school_id, actor_id, action, subject_type, subject_id, details)
           values (%s, %s, %s, %s, %s, %s)""",
        (school_id, actor_id, action, subject_type, subject_id, Jsonb(details or {})),
    )
