"""Money in bodies: exact decimals, sent as JSON strings without trailing zeros ("9.98",
"3", "0.2"): JSON numbers are binary floats to most clients, and a sum of floats is not
exact (docs/architecture.md, "Budgets")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from videogen.schools.school_models import Models


def money_text(amount: Decimal) -> str:
    """'9.9800' -> '9.98', '10' stays '10' (never '1E+1')."""
    return format(amount.normalize(), "f")


Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str, when_used="json")]


# --- Management bodies (docs/architecture.md, "Budgets": the routes' shapes) ------------------

#: The roles a school admin sets limits for (an operator's are the deployment's business).
LimitRole = Literal["student", "teacher", "admin"]
#: Money a client sends: exact, at most cents, at most a million USD; a JSON string ("2.50")
#: or number (2.5) both parse exactly (pydantic reads numbers as their decimal text).
MoneyIn = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2)]


class RoleLimits(BaseModel):
    """One role's daily caps (null: no cap) and the models it may use (null: the school's)."""

    model_config = ConfigDict(extra="forbid")
    role: LimitRole
    daily_money_cap: MoneyIn | None = Field(description="USD a day; null: no cap.")
    daily_video_cap: int | None = Field(ge=0, le=10_000, description="Videos a day; null: none.")
    allowed_models: Models = Field(
        default=None, description="Catalogue ids; null: every model the school allows."
    )


class RoleLimitsOut(BaseModel):
    role: str
    daily_money_cap: Money | None
    daily_video_cap: int | None
    allowed_models: list[str] | None
    updated_at: datetime


class SchoolBudgetOut(BaseModel):
    school_id: UUID
    currency: Literal["USD"]
    monthly_budget: Money | None = Field(description="USD a calendar month; null: no limit.")
    time_zone: str = Field(description="The periods' time zone (the school's; PATCH /school).")
    role_limits: list[RoleLimitsOut]


class SchoolBudgetUpdate(BaseModel):
    """PUT: the monthly budget is replaced (null: no limit); each role listed has its limits
    replaced, roles not listed keep theirs."""

    model_config = ConfigDict(extra="forbid")
    monthly_budget: MoneyIn | None
    currency: Literal["USD"] = "USD"
    role_limits: list[RoleLimits] = Field(default_factory=list, max_length=3)


class BudgetStatusOut(BaseModel):
    """The admin banner: the school's month so far."""

    school_id: UUID
    currency: Literal["USD"]
    monthly_budget: Money | None
    period: str = Field(description="YYYY-MM in the school's time zone.")
    reserved: Money = Field(description="Open reservations (jobs not finished yet).")
    settled: Money = Field(description="Final costs of completed jobs.")
    used: Money = Field(description="reserved + settled: what the budget is checked against.")
    remaining: Money | None = Field(description="Null: no budget.")
    used_percent: Money | None = Field(description="Share of the budget used; null: none.")
    level: Literal[0, 80, 100] = Field(description="Highest threshold reached: 0, 80 or 100.")
    resets_at: datetime
    time_zone: str


class ClassBudgetUpdate(BaseModel):
    """PUT: both fields replaced (null: no cap / no override of the role's models)."""

    model_config = ConfigDict(extra="forbid")
    monthly_cap: MoneyIn | None
    allowed_models: Models = None


class ClassSpendOut(BaseModel):
    class_id: UUID
    currency: Literal["USD"]
    monthly_cap: Money | None
    allowed_models: list[str] | None
    period: str = Field(description="YYYY-MM in the school's time zone.")
    reserved: Money
    settled: Money
    used: Money
    remaining: Money | None = Field(description="Null: no cap.")
    resets_at: datetime
