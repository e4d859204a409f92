"""The audit trail of deliveries (`webhook_events`), written apart from the job change so a
delivery is recorded even when applying it fails."""

from __future__ import annotations

from uuid import UUID

from videogen.db import Database


def record_event(
    db: Database,
    *,
    request_id: str | None,
    gateway_request_id: str | None,
    job_id: UUID | None,
    payload_status: str | None,
    outcome: str,
    detail: str | None = None,
) -> None:
    with db.connection() as conn:
        conn.execute(
            """insert into public.webhook_events
                 (request_id, gateway_request_id, job_id, payload_status, outcome, detail)
               select %s, %s, (select id from public.jobs where id = %s), %s, %s, %s""",
            (request_id, gateway_request_id, job_id, payload_status, outcome, detail),
        )
