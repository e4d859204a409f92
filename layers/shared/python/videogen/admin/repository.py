"""SQL of the admin actions' audit trail (`public.job_admin_actions`): appended in the
transaction of the change it records, never rewritten."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection

_COLUMNS = "id, action, outcome, reason, fal_answer, admin_id, created_at"


def insert_action(
    conn: Connection,
    *,
    job_id: UUID,
    admin_id: UUID,
    action: str,
    outcome: str,
    reason: str | None = None,
    fal_answer: str | None = None,
) -> dict[str, Any]:
    row = conn.execute(
        f"""insert into public.job_admin_actions
              (job_id, admin_id, action, outcome, reason, fal_answer)
            values (%s, %s, %s, %s, %s, %s) returning {_COLUMNS}""",
        (job_id, admin_id, action, outcome, reason, fal_answer),
    ).fetchone()
    assert row is not None
    return row


def last_fail(conn: Connection, job_id: UUID) -> dict[str, Any] | None:
    """The admin failure that ended this job, if an admin ended it."""
    return conn.execute(
        f"""select {_COLUMNS} from public.job_admin_actions
            where job_id = %s and action = 'fail' order by created_at desc, id desc limit 1""",
        (job_id,),
    ).fetchone()
