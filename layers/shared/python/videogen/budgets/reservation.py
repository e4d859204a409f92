"""Reserving a new job's estimate, inside the submission's transaction (the one budget use
case on the generations function's path: kept apart from the management use cases of
`budgets.service`, so that function's cold start does not load them)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from videogen import metrics
from videogen.budgets import repository as repo
from videogen.budgets.errors import BudgetExceeded

if TYPE_CHECKING:
    from videogen.db import Connection

#: levels of a school's monthly budget the admin banner shows and the metric reports
THRESHOLDS = (Decimal(80), Decimal(100))


def reserve(
    conn: Connection,
    *,
    job_id: UUID,
    user_id: UUID,
    school_id: UUID | None,
    class_id: UUID | None,
    amount: Decimal,
    carried: tuple[Decimal, int] = (Decimal(0), 0),
) -> None:
    """Reserves `amount` against every scope that applies, or raises BudgetExceeded (and
    the caller's transaction, which inserted the job, rolls back). A reservation that takes
    the school past 80 % or 100 % of its monthly budget emits the level metric."""
    row = repo.reserve(
        conn,
        job_id=job_id,
        user_id=user_id,
        school_id=school_id,
        class_id=class_id,
        amount=amount,
        carried_money=carried[0],
        carried_videos=carried[1],
    )
    if row["refused_scope"] is not None:
        raise BudgetExceeded(row["refused_scope"], row["cap"], row["remaining"], row["resets_at"])
    budget = row["school_budget"]
    if budget is not None and budget > 0 and row["school_used_before"] is not None:
        before = percent(row["school_used_before"], budget)
        after = percent(row["school_used_after"], budget)
        for level in THRESHOLDS:
            if before < level <= after:
                metrics.school_budget_used(float(after), level=int(level), school_id=school_id)


def percent(used: Decimal, budget: Decimal) -> Decimal:
    """Share of `budget` used, in percent (a budget of 0 is fully used)."""
    if budget <= 0:
        return Decimal(100)
    return used * 100 / budget


def level(used: Decimal, budget: Decimal | None) -> int:
    """The banner level: 0, 80 or 100 (the highest threshold reached)."""
    if budget is None:
        return 0
    reached = [int(t) for t in THRESHOLDS if percent(used, budget) >= t]
    return max(reached, default=0)
