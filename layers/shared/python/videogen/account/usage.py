"""Quota usage that survives erasure without personal data (issue 13).

On deletion, today's usage is kept under an HMAC-SHA256 of the normalised email; an account
created the same day with the same email starts from it, so deleting and registering again
does not reset the day's quota. The HMAC key is derived from the deployment's webhook token
secret (the generations function holds it already) with a label of its own, so the hash
means nothing outside this use. Rows of past days are purged by the next erasure.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from videogen.hmac_keys import derived_hmac

if TYPE_CHECKING:
    from videogen.db import Connection

_LABEL = b"videogen/erased-usage/v1"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(email: str, secret: str) -> str:
    """HMAC-SHA256 of the normalised email under a key derived from the server secret."""
    return derived_hmac(secret, _LABEL, normalise_email(email))


def carry(conn: Connection, user_id: UUID, secret: str, day: date) -> None:
    """Keeps the account's usage of `day` under its email hash (the larger count wins, so a
    second erasure the same day never lowers it) and purges the days before."""
    row = conn.execute(
        """select p.email, coalesce(u.used, 0) as used from public.profiles p
           left join public.quota_usage u on u.user_id = p.id and u.day = %s
           where p.id = %s""",
        (day, user_id),
    ).fetchone()
    conn.execute("delete from public.erased_usage where day < %s", (day,))
    if row is None or not row["email"] or row["used"] <= 0:
        return
    conn.execute(
        """insert into public.erased_usage as e (email_hash, day, used) values (%s, %s, %s)
           on conflict (email_hash, day) do update set used = greatest(e.used, excluded.used)""",
        (email_hash(row["email"], secret), day, row["used"]),
    )


def restore(conn: Connection, user_id: UUID, secret: str, day_start: datetime) -> None:
    """An account created on `day_start`'s day starts from the usage an erased account with
    the same email left that day; older accounts are untouched (one indexed read)."""
    row = conn.execute(
        "select email from public.profiles where id = %s and created_at >= %s",
        (user_id, day_start),
    ).fetchone()
    if row is None or not row["email"]:
        return
    conn.execute(
        """insert into public.quota_usage (user_id, day, used)
           select %s, e.day, e.used from public.erased_usage e
           where e.email_hash = %s and e.day = %s
           on conflict (user_id, day) do nothing""",
        (user_id, email_hash(row["email"], secret), day_start.date()),
    )
