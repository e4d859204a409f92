"""SQL of budgets: the functions of migration 20261128000100_budgets.sql do the work
(reservation, release, settlement, balances); this module only calls them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection

Row = dict[str, Any]


def reserve(
    conn: Connection,
    *,
    job_id: UUID,
    user_id: UUID,
    school_id: UUID | None,
    class_id: UUID | None,
    amount: Decimal,
    carried_money: Decimal = Decimal(0),
    carried_videos: int = 0,
) -> Row:
    """One row: `refused_scope` null when every scope took the amount, else the refusal.
    A user without a profile: ProfileNotFound."""
    from psycopg.errors import NoDataFound

    from videogen.auth.errors import ProfileNotFound

    try:
        row = conn.execute(
            "select * from public.budget_reserve(%s, %s, %s, %s, %s, %s, %s)",
            (job_id, user_id, school_id, class_id, amount, carried_money, carried_videos),
        ).fetchone()
    except NoDataFound as exc:
        raise ProfileNotFound() from exc
    assert row is not None
    return row


def release(conn: Connection, job_id: UUID) -> int:
    """Gives the job's open reservations back; how many scopes (0: none were open)."""
    row = conn.execute("select public.budget_release(%s) as n", (job_id,)).fetchone()
    return int(row["n"]) if row else 0


def settle(conn: Connection, job_id: UUID, amount: Decimal | None) -> int:
    """Settles the job at `amount` (None: its reserved estimate) and writes it to the job
    row; 0: nothing was open (already settled or released)."""
    row = conn.execute("select public.budget_settle(%s, %s) as n", (job_id, amount)).fetchone()
    return int(row["n"]) if row else 0


def scopes(
    conn: Connection, user_id: UUID, school_id: UUID | None, class_id: UUID | None = None
) -> list[Row]:
    """The scopes that apply now, with caps, periods and what each has used."""
    return conn.execute(
        """select s.scope, s.scope_key, s.cap, s.period, s.resets_at,
                  coalesce(b.used, 0) as used, coalesce(b.reserved, 0) as reserved,
                  coalesce(b.settled, 0) as settled
           from public.budget_scopes(%s, %s, %s, now()) s
           left join public.budget_balances b
             on b.scope = s.scope and b.scope_key = s.scope_key and b.period = s.period
           order by s.ord""",
        (user_id, school_id, class_id),
    ).fetchall()
