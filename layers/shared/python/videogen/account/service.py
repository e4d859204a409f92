"""Deletes an account: its videos, its personal data in jobs, then the identity.

Jobs are kept, anonymised (no owner, no prompt), so usage KPIs stay true. Each step can be
repeated: if storage or the identity service fails, the call answers 503 and a retry
finishes the work; videos go first, so no video outlives a deleted account.
"""

from __future__ import annotations

import logging
from uuid import UUID

from videogen.auth.identity import IdentityProvider
from videogen.db import Database
from videogen.storage.base import ObjectStore

logger = logging.getLogger(__name__)


def delete_account(
    db: Database, store: ObjectStore, identity: IdentityProvider, user_id: UUID
) -> int:
    """Returns how many videos were deleted."""
    with db.connection() as conn:
        keys = [
            row["object_key"]
            for row in conn.execute(
                "select object_key from public.files where user_id = %s", (user_id,)
            )
        ]
    for key in keys:
        store.delete(key)
    with db.connection() as conn:
        conn.execute("delete from public.files where user_id = %s", (user_id,))
        conn.execute(
            """update public.jobs
               set user_id = null, prompt = '[deleted]', params = '{}'::jsonb,
                   idempotency_key = null, request_hash = null, updated_at = now()
               where user_id = %s""",
            (user_id,),
        )
    identity.delete_user(user_id)
    logger.info("account deleted", extra={"user_id": str(user_id), "videos": len(keys)})
    return len(keys)
