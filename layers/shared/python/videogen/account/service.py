"""Deletes an account: its videos, its personal data in jobs, then the identity.

Jobs are kept, anonymised (no owner, no prompt), so usage KPIs stay true. Each step can be
repeated: if storage or the identity service fails, the call answers 503 and a retry
finishes the work; videos go first, so no video outlives a deleted account.

A copy in flight cannot slip a video past the deletion (account/erasure.py): the account is
marked before anything is deleted, the copy worker refuses to store for a marked account,
and every object under the account's prefix is deleted, with or without a `files` row (an
upload whose `files` row was never written), through storage/deletion.py, as retention
deletes. An upload that lands after this and that the worker fails to remove is an orphan
the sweep removes (storage/sweep.py). What the student's day used (money,
videos) is kept under a hash of the email (account/usage.py).
"""

from __future__ import annotations

import logging
from uuid import UUID

from videogen.account import erasure, usage
from videogen.auth.identity import IdentityProvider
from videogen.db import Database
from videogen.storage.base import ObjectStore, StorageUnavailable, user_prefix
from videogen.storage.deletion import delete_videos

logger = logging.getLogger(__name__)


def delete_account(
    db: Database,
    store: ObjectStore,
    identity: IdentityProvider,
    user_id: UUID,
    *,
    usage_secret: str,
) -> int:
    """Returns how many videos were deleted."""
    with db.connection() as conn:
        erasure.begin(conn, user_id)
    with db.connection() as conn:
        keys = {
            row["object_key"]
            for row in conn.execute(
                """select f.object_key from public.files f
                   where f.user_id = %(user)s
                      or f.job_id in (select id from public.jobs where user_id = %(user)s)""",
                {"user": user_id},
            )
        }
    keys.update(item.key for item in store.list_objects(user_prefix(user_id)))
    deleted = delete_videos(db, store, keys)
    if deleted.failed:  # 503: the client's retry deletes the rest
        raise StorageUnavailable()
    with db.connection() as conn:
        usage.carry(conn, user_id, usage_secret)
        conn.execute(
            """update public.jobs
               set user_id = null, prompt = '[deleted]', params = '{}'::jsonb,
                   idempotency_key = null, request_hash = null, updated_at = now()
               where user_id = %s""",
            (user_id,),
        )
    identity.delete_user(user_id)
    with db.connection() as conn:
        erasure.finish(conn, user_id)
    logger.info("account deleted", extra={"user_id": str(user_id), "videos": len(keys)})
    return len(keys)
