"""The audit trail of deliveries (`webhook_events`): written with the job change it records
(`DeliveryRecorder`), or on its own when applying the delivery failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.db import Database

if TYPE_CHECKING:
    from videogen.db import Connection


def insert_event(
    conn: Connection,
    *,
    request_id: str | None,
    gateway_request_id: str | None,
    job_id: UUID | None,
    payload_status: str | None,
    outcome: str,
    detail: str | None = None,
) -> None:
    """One delivery's audit row, inside the caller's transaction (an unknown job id is kept
    as null, not refused)."""
    conn.execute(
        """insert into public.webhook_events
             (request_id, gateway_request_id, job_id, payload_status, outcome, detail)
           select %s, %s, (select id from public.jobs where id = %s), %s, %s, %s""",
        (request_id, gateway_request_id, job_id, payload_status, outcome, detail),
    )


def record_event(db: Database, **event: Any) -> None:
    """The audit row in a transaction of its own: a delivery is recorded even when applying
    it failed."""
    with db.connection() as conn:
        insert_event(conn, **event)
