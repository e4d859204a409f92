"""A student's day of spending that survives erasure without personal data (issues 13, 16).

On deletion, what the account used of its current student day (money and videos, from the
budget ledger) is kept under an HMAC-SHA256 of the normalised email; an account created the
same day with the same email starts from it, so deleting and registering again does not
reset the day's caps. The day is the student-day period of the school's time zone. The HMAC
key is derived from the deployment's webhook token secret (the generations function holds
it already) with a label of its own, so the hash means nothing outside this use. Rows older
than two days are purged by the next erasure (every time zone's day is over by then).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.hmac_keys import derived_hmac

if TYPE_CHECKING:
    from videogen.db import Connection

_LABEL = b"videogen/erased-usage/v1"

# The account's student day now (its period in the school's time zone) and the period of
# the day the account was made: all a submission needs (`carried`), no ledger read.
_DAY = """
    select p.email, s.period,
           (select d.period from public.budget_period(
              'student_day', coalesce(sc.time_zone, 'UTC'), p.created_at) d) as created_period
    from public.profiles p
    left join public.schools sc on sc.id = coalesce(%(school)s, p.school_id)
    cross join lateral public.budget_period(
      'student_day', coalesce(sc.time_zone, 'UTC'), now()) s
    where p.id = %(user)s
"""
# What the ledger holds for one student day of the account (erasure keeps it: `carry`).
_USED = """
    select (select coalesce(sum(b.used), 0) from public.budget_balances b
             where b.scope = 'student_day' and b.scope_key = %(user)s
               and b.period = %(period)s) as money,
           (select coalesce(sum(b.used), 0) from public.budget_balances b
             where b.scope = 'student_videos' and b.scope_key = %(user)s
               and b.period = %(period)s) as videos
"""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(email: str, secret: str) -> str:
    """HMAC-SHA256 of the normalised email under a key derived from the server secret."""
    return derived_hmac(secret, _LABEL, normalise_email(email))


def carry(conn: Connection, user_id: UUID, secret: str) -> None:
    """Keeps the account's use of its current day under its email hash (the larger wins,
    so a second erasure the same day never lowers it) and purges older days."""
    row = conn.execute(_DAY, {"user": user_id, "school": None}).fetchone()
    if row is None or not row["email"]:
        return
    money, videos = _kept(conn, row, secret)  # what this account started the day from
    used = conn.execute(_USED, {"user": user_id, "period": row["period"]}).fetchone()
    assert used is not None
    money, videos = money + used["money"], videos + int(used["videos"])
    conn.execute("delete from public.erased_usage where day < current_date - 2")
    if videos <= 0 and money <= 0:
        return
    conn.execute(
        """insert into public.erased_usage as e (email_hash, day, used, money)
           values (%s, %s::date, %s, %s)
           on conflict (email_hash, day) do update
             set used = greatest(e.used, excluded.used),
                 money = greatest(e.money, excluded.money)""",
        (email_hash(row["email"], secret), row["period"], videos, money),
    )


def carried(
    conn: Connection, user_id: UUID, secret: str, school_id: UUID | None = None
) -> tuple[Decimal, int]:
    """(money, videos) an erased account with this one's email used today, if this account
    was created today (in the school's time zone); else nothing."""
    row = conn.execute(_DAY, {"user": user_id, "school": school_id}).fetchone()
    if row is None or not row["email"]:
        return Decimal(0), 0
    return _kept(conn, row, secret)


def _kept(conn: Connection, row: dict[str, Any], secret: str) -> tuple[Decimal, int]:
    """What erasure kept under the email of `row` (a `_DAY` row) for its current day, if the
    account was made that day; else nothing."""
    if row["created_period"] != row["period"]:
        return Decimal(0), 0
    kept = conn.execute(
        "select used, money from public.erased_usage where email_hash = %s and day = %s::date",
        (email_hash(row["email"], secret), row["period"]),
    ).fetchone()
    if kept is None:
        return Decimal(0), 0
    return Decimal(kept["money"]), int(kept["used"])
