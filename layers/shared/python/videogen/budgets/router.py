"""Budget management routes, served by the admin function: a school's monthly budget and
per-role limits (its admins; operators name the school with ?school_id=), its month's status
for the admin banner, a class's monthly cap and model override and its month's spend (the
class's teachers and the school's admins). Shapes: docs/architecture.md, "Budgets"."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from videogen.auth.deps import SchoolAdmin, Teacher
from videogen.budgets import service
from videogen.budgets.models import (
    BudgetStatusOut,
    ClassBudgetUpdate,
    ClassSpendOut,
    SchoolBudgetOut,
    SchoolBudgetUpdate,
)
from videogen.db import Database, get_database
from videogen.schools.deps import SchoolParam
from videogen.schools.school_service import target_school

router = APIRouter(tags=["budgets"])
Db = Annotated[Database, Depends(get_database)]

_MONEY = 'Money is a decimal string in USD ("12.5"); a request may send a string or a number.'


@router.get(
    "/school/budget",
    response_model=SchoolBudgetOut,
    summary="The school's monthly budget and per-role limits (its admins)",
    description=_MONEY,
)
def read_school_budget(
    admin: SchoolAdmin, db: Db, school_id: SchoolParam = None
) -> SchoolBudgetOut:
    return service.get_school_budget(db, target_school(admin, school_id))


@router.put(
    "/school/budget",
    response_model=SchoolBudgetOut,
    summary="Set the school's monthly budget and per-role limits (its admins)",
    description="`monthly_budget` is replaced (null: no limit); each role listed in "
    "`role_limits` (student, teacher, admin) has its daily money cap, daily video cap and "
    "allowed models (catalogue ids; null: the school's) replaced, others keep theirs. "
    "Logged as `budget.update`. " + _MONEY,
)
def write_school_budget(
    body: SchoolBudgetUpdate, admin: SchoolAdmin, db: Db, school_id: SchoolParam = None
) -> SchoolBudgetOut:
    return service.put_school_budget(db, admin, target_school(admin, school_id), body)


@router.get(
    "/school/budget/status",
    response_model=BudgetStatusOut,
    summary="The school's month so far: used, reserved, remaining, level (its admins)",
    description="`level` is 80 or 100 once that share of the monthly budget is used (the "
    "admin banner); periods and `resets_at` follow the school's time zone. " + _MONEY,
)
def read_school_status(
    admin: SchoolAdmin, db: Db, school_id: SchoolParam = None
) -> BudgetStatusOut:
    return service.school_status(db, target_school(admin, school_id))


@router.put(
    "/classes/{class_id}/budget",
    response_model=ClassSpendOut,
    summary="Set a class's monthly cap and model override (its teachers, school admins)",
    description="Both fields replaced: `monthly_cap` null is no cap, `allowed_models` null "
    "is no override (the role's models apply). A class out of reach is 404 "
    "`class_not_found`. Logged as `class.budget`. " + _MONEY,
)
def write_class_budget(
    class_id: UUID, body: ClassBudgetUpdate, teacher: Teacher, db: Db
) -> ClassSpendOut:
    return service.put_class_budget(db, teacher, class_id, body)


@router.get(
    "/classes/{class_id}/spend",
    response_model=ClassSpendOut,
    summary="A class's spend this month, reserved vs settled (its teachers, school admins)",
    description=_MONEY,
)
def read_class_spend(class_id: UUID, teacher: Teacher, db: Db) -> ClassSpendOut:
    return service.class_spend(db, teacher, class_id)
