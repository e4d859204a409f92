"""The mark that an account is being erased, shared by DELETE /me and the copy worker.

Deletion writes the mark and locks the account's jobs in one transaction before it deletes
any video. A copy that committed its `files` row before that is seen (and deleted) by the
deletion; a copy that commits after it checks the mark under the job's row lock, stores
nothing and removes its upload. The mark is dropped once the identity is gone: by then the
account's jobs have no owner, which the copy worker refuses as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection


def begin(conn: Connection, user_id: UUID) -> None:
    """Marks the account; waits for any copy holding one of its jobs to commit first."""
    conn.execute(
        "insert into public.account_erasures (user_id) values (%s) on conflict do nothing",
        (user_id,),
    )
    conn.execute("select id from public.jobs where user_id = %s for update", (user_id,))


def is_erasing(conn: Connection, user_id: UUID) -> bool:
    row = conn.execute(
        "select 1 from public.account_erasures where user_id = %s", (user_id,)
    ).fetchone()
    return row is not None


def finish(conn: Connection, user_id: UUID) -> None:
    """Drops the mark: the account's jobs no longer name it, nothing personal is kept."""
    conn.execute("delete from public.account_erasures where user_id = %s", (user_id,))
