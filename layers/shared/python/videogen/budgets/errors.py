"""Errors of budgets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from videogen.budgets.models import money_text
from videogen.errors import AppError

SCOPE_NAMES = {
    "school_month": "your school's monthly budget",
    "class_month": "your class's monthly cap",
    "student_day": "your daily budget",
    "student_videos": "your daily number of videos",
}


class BudgetExceeded(AppError):
    """429, not 402: the refusal is temporary (the scope resets at `resets_at`, given as
    Retry-After too), as the counting quota's 429 was, so clients keep one retry rule;
    402 is "reserved for future use" (RFC 9110, 15.5.3)."""

    status_code = 429
    code = "budget_exceeded"

    def __init__(self, scope: str, cap: Decimal, remaining: Decimal, resets_at: datetime) -> None:
        unit = "videos" if scope == "student_videos" else "USD"
        shown = money_text(remaining) if unit == "videos" else f"{remaining:.2f}"
        retry_after = max(int((resets_at - datetime.now(UTC)).total_seconds()) + 1, 1)
        super().__init__(
            f"Not enough left in {SCOPE_NAMES[scope]}: {shown} {unit} remain; "
            f"it resets at {resets_at.isoformat()}.",
            details={
                "scope": scope,
                "unit": unit,
                "limit": money_text(cap),
                "remaining": money_text(remaining),
                "resets_at": resets_at.isoformat(),
            },
            headers={"Retry-After": str(retry_after)},
        )
