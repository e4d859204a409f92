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


def job_in_reach(conn: Connection, job_id: UUID, school: UUID | None) -> bool:
    """Whether the job exists and is in `school` (None: any school, an operator's reach).
    Another school's job reads as missing: the admin of school A gets 404 for B's."""
    row = conn.execute(
        "select 1 from public.jobs where id = %s and (%s::uuid is null or school_id = %s)",
        (job_id, school, school),
    ).fetchone()
    return row is not None
