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


# A profile `p`'s student day now, for reads that list people (auth/me, admin users): its
# caps (override, else its role's in its school; null: none) and what the day used, from
# the same `budget_scopes` the reservation checks, so the rule is written once.
USER_DAY_JOIN = """
    left join lateral (
      select max(d.cap) filter (where d.scope = 'student_videos')::int as daily_video_cap,
             max(d.cap) filter (where d.scope = 'student_day') as daily_money_cap,
             coalesce(max(d.used) filter (where d.scope = 'student_videos'), 0)::int
               as used_today,
             coalesce(max(d.used) filter (where d.scope = 'student_day'), 0) as spent_today
      from (select s.scope, s.cap,
                   (select sum(b.used) from public.budget_balances b
                     where b.scope = s.scope and b.scope_key = s.scope_key
                       and b.period = s.period) as used
            from public.budget_scopes(p.id, p.school_id, null, now()) s
            where s.scope in ('student_day', 'student_videos')) d
    ) day on true
"""


# --- Management: limits, class caps, what a scope used this period ---------------------------


def school_budget(conn: Connection, school_id: UUID) -> Row | None:
    return conn.execute(
        "select id as school_id, currency, monthly_budget, time_zone from public.schools"
        " where id = %s",
        (school_id,),
    ).fetchone()


def role_limits(conn: Connection, school_id: UUID) -> list[Row]:
    """The school's per-role limits, student first."""
    return conn.execute(
        """select role, daily_money as daily_money_cap, daily_videos as daily_video_cap,
                  allowed_models, updated_at
           from public.school_role_limits where school_id = %s
           order by array_position(array['student', 'teacher', 'admin', 'operator'], role)""",
        (school_id,),
    ).fetchall()


def set_monthly_budget(conn: Connection, school_id: UUID, amount: Decimal | None) -> None:
    conn.execute(
        "update public.schools set monthly_budget = %s, updated_at = now() where id = %s",
        (amount, school_id),
    )


def set_role_limits(
    conn: Connection,
    school_id: UUID,
    role: str,
    *,
    money: Decimal | None,
    videos: int | None,
    models: list[str] | None,
) -> None:
    conn.execute(
        """insert into public.school_role_limits as r
             (school_id, role, daily_money, daily_videos, allowed_models)
           values (%s, %s, %s, %s, %s)
           on conflict (school_id, role) do update
             set daily_money = excluded.daily_money, daily_videos = excluded.daily_videos,
                 allowed_models = excluded.allowed_models, updated_at = now()""",
        (school_id, role, money, videos, models),
    )


def set_class_budget(
    conn: Connection, class_id: UUID, *, cap: Decimal | None, models: list[str] | None
) -> None:
    conn.execute(
        "update public.classes set monthly_cap = %s, allowed_models = %s where id = %s",
        (cap, models, class_id),
    )


# What a month scope (school or class) holds now, in the school's time zone.
_MONTH = """
    select p.period, p.resets_at, s.time_zone,
           coalesce(b.reserved, 0) as reserved, coalesce(b.settled, 0) as settled,
           coalesce(b.used, 0) as used
    from public.schools s
    cross join lateral public.budget_period(%(scope)s, s.time_zone, now()) p
    left join public.budget_balances b
      on b.scope = %(scope)s and b.scope_key = %(key)s and b.period = p.period
    where s.id = %(school)s
"""


def month(conn: Connection, scope: str, key: UUID, school_id: UUID) -> Row:
    """`scope` school_month (key: the school) or class_month (key: the class)."""
    row = conn.execute(_MONTH, {"scope": scope, "key": key, "school": school_id}).fetchone()
    assert row is not None, "the school exists (the caller found it)"
    return row
