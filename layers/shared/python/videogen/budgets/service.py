"""Budget management use cases: a school's budget and per-role limits, a class's cap and
models, what a school's or class's month used. Every change appends to the school's
activity. Reserving a job's estimate is `budgets.reservation`'s."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.auth.members import Member
from videogen.budgets import repository as repo
from videogen.budgets.models import (
    BudgetStatusOut,
    ClassBudgetUpdate,
    ClassSpendOut,
    RoleLimitsOut,
    SchoolBudgetOut,
    SchoolBudgetUpdate,
    money_text,
)
from videogen.budgets.reservation import level, percent
from videogen.schools import activity
from videogen.schools.errors import ClassNotFound
from videogen.schools.oversight import find_class
from videogen.schools.school_service import SchoolNotFound

if TYPE_CHECKING:
    from videogen.db import Connection, Database


def get_school_budget(db: Database, school_id: UUID) -> SchoolBudgetOut:
    with db.connection() as conn:
        return _school_budget(conn, school_id)


def put_school_budget(
    db: Database, member: Member, school_id: UUID, body: SchoolBudgetUpdate
) -> SchoolBudgetOut:
    """Replaces the monthly budget and each listed role's limits; the fields that changed go
    to the activity log as one `budget.update` ({field: {from, to}})."""
    with db.connection() as conn:
        before = _school_budget(conn, school_id)
        old_roles = {r.role: _limits(r) for r in before.role_limits}
        changed: dict[str, dict[str, Any]] = {}
        if body.monthly_budget != before.monthly_budget:
            repo.set_monthly_budget(conn, school_id, body.monthly_budget)
            changed["monthly_budget"] = {
                "from": _text(before.monthly_budget),
                "to": _text(body.monthly_budget),
            }
        for limits in body.role_limits:
            new = _limits(limits)
            if new == old_roles.get(limits.role):
                continue
            repo.set_role_limits(
                conn,
                school_id,
                limits.role,
                money=limits.daily_money_cap,
                videos=limits.daily_video_cap,
                models=limits.allowed_models,
            )
            changed[f"role_limits.{limits.role}"] = {"from": old_roles.get(limits.role), "to": new}
        if changed:
            activity.append(
                conn,
                school_id=school_id,
                actor_id=member.id,
                action="budget.update",
                subject_type="school",
                subject_id=school_id,
                details=changed,
            )
        return _school_budget(conn, school_id)


def school_status(db: Database, school_id: UUID) -> BudgetStatusOut:
    """The school's month: used (reserved + settled), remaining, the banner level."""
    with db.connection() as conn:
        school = _school(conn, school_id)
        row = repo.month(conn, "school_month", school_id, school_id)
    budget = school["monthly_budget"]
    return BudgetStatusOut(
        school_id=school_id,
        currency=school["currency"],
        monthly_budget=budget,
        period=row["period"],
        reserved=row["reserved"],
        settled=row["settled"],
        used=row["used"],
        remaining=None if budget is None else max(budget - row["used"], Decimal(0)),
        used_percent=None if budget is None else round(percent(row["used"], budget), 2),
        level=level(row["used"], budget),  # type: ignore[arg-type]
        resets_at=row["resets_at"],
        time_zone=row["time_zone"],
    )


def put_class_budget(
    db: Database, member: Member, class_id: UUID, body: ClassBudgetUpdate
) -> ClassSpendOut:
    """A teacher of the class or its school's admin sets its monthly cap and model override
    (another school's class, or one they do not teach: 404); logged as `class.budget`."""
    with db.connection() as conn:
        klass = _class_in_reach(conn, member, class_id)
        changed = {
            field: {"from": _text(klass[field]), "to": _text(new)}
            for field, new in (
                ("monthly_cap", body.monthly_cap),
                ("allowed_models", body.allowed_models),
            )
            if klass[field] != new
        }
        if changed:
            repo.set_class_budget(conn, class_id, cap=body.monthly_cap, models=body.allowed_models)
            activity.append(
                conn,
                school_id=klass["school_id"],
                actor_id=member.id,
                action="class.budget",
                subject_type="class",
                subject_id=class_id,
                details=changed,
            )
        return _class_spend(conn, _class_in_reach(conn, member, class_id))


def class_spend(db: Database, member: Member, class_id: UUID) -> ClassSpendOut:
    with db.connection() as conn:
        return _class_spend(conn, _class_in_reach(conn, member, class_id))


def _class_in_reach(conn: Connection, member: Member, class_id: UUID) -> dict[str, Any]:
    found = find_class(conn, member, class_id)
    if found is None:
        raise ClassNotFound()
    row = conn.execute(
        "select id, school_id, monthly_cap, allowed_models from public.classes where id = %s",
        (class_id,),
    ).fetchone()
    assert row is not None
    return row


def _class_spend(conn: Connection, klass: dict[str, Any]) -> ClassSpendOut:
    row = repo.month(conn, "class_month", klass["id"], klass["school_id"])
    cap = klass["monthly_cap"]
    return ClassSpendOut(
        class_id=klass["id"],
        currency="USD",
        monthly_cap=cap,
        allowed_models=klass["allowed_models"],
        period=row["period"],
        reserved=row["reserved"],
        settled=row["settled"],
        used=row["used"],
        remaining=None if cap is None else max(cap - row["used"], Decimal(0)),
        resets_at=row["resets_at"],
    )


def _school(conn: Connection, school_id: UUID) -> dict[str, Any]:
    """An operator may name any id (?school_id=): one that names no school is 404."""
    school = repo.school_budget(conn, school_id)
    if school is None:
        raise SchoolNotFound()
    return school


def _school_budget(conn: Connection, school_id: UUID) -> SchoolBudgetOut:
    school = _school(conn, school_id)
    limits = [RoleLimitsOut.model_validate(r) for r in repo.role_limits(conn, school_id)]
    return SchoolBudgetOut.model_validate({**school, "role_limits": limits})


def _limits(limits: Any) -> dict[str, Any]:
    """A role's limits as the activity log records them (money as text)."""
    return {
        "daily_money_cap": _text(limits.daily_money_cap),
        "daily_video_cap": limits.daily_video_cap,
        "allowed_models": limits.allowed_models,
    }


def _text(value: Any) -> Any:
    return money_text(value) if isinstance(value, Decimal) else value
