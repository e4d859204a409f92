"""Admin use cases over users (jobs reuse the generation service's listing), scoped by
school: a school admin sees and changes only their school's users (another school's user is
not found), an operator every user (docs/architecture.md, "Tenancy")."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from videogen.admin.models import AdminJobOut, AdminJobPage, UserOut, UserPage, UserUpdate
from videogen.auth.members import Member
from videogen.budgets.repository import USER_DAY_JOIN
from videogen.db import Connection, Database
from videogen.errors import AppError, Forbidden, InvalidInput, NotFound
from videogen.generations import repository as jobs_repo
from videogen.generations.service import GenerationService
from videogen.schools import activity
from videogen.schools.school_service import target_school

USER_SELECT = (
    """
    select p.id, p.email, p.display_name, p.role, p.created_at,
           day.daily_video_cap, p.daily_video_cap as video_cap_override,
           day.daily_money_cap, p.daily_money_cap as money_cap_override,
           day.used_today, day.spent_today,
           p.school_id, s.name as school_name
    from public.profiles p
    left join public.schools s on s.id = p.school_id
"""
    + USER_DAY_JOIN
)
# A school admin's reach: their school's profiles (%(school)s null: an operator, every one).
_IN_SCOPE = " (%(school)s::uuid is null or p.school_id = %(school)s)"

# API field -> profiles column: the per-user overrides of the role's daily caps.
_COLUMNS = {"video_cap_override": "daily_video_cap", "money_cap_override": "daily_money_cap"}


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No such user."


def list_jobs(
    service: GenerationService,
    db: Database,
    member: Member,
    *,
    user_id: UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> AdminJobPage:
    with db.connection() as conn:
        rows, next_cursor = jobs_repo.list_jobs(
            conn, owner=user_id, status=status, cursor=cursor, limit=limit, school=member.scope
        )
    items = [
        AdminJobOut.model_validate(
            {
                **service.to_out(r).model_dump(),
                "user_id": r["user_id"],
                "school_id": r["school_id"],
                "school_name": r["school_name"],
            }
        )
        for r in rows
    ]
    return AdminJobPage(items=items, next_cursor=next_cursor)


def list_users(
    db: Database,
    member: Member,
    search: str | None,
    limit: int,
    offset: int,
    *,
    roles: Sequence[str] | None = None,
    school_id: UUID | None = None,
) -> UserPage:
    """`roles`: only these; `school_id`: one school (operators; an admin's own is the same as
    none, another school's is 404)."""
    school = member.scope if school_id is None else target_school(member, school_id)
    pattern = f"%{search.lower()}%" if search else None
    where = " where (%(p)s::text is null or lower(p.email) like %(p)s"
    where += " or lower(p.display_name) like %(p)s) and" + _IN_SCOPE
    where += " and (%(roles)s::text[] is null or p.role = any(%(roles)s::text[]))"
    args = {"p": pattern, "school": school, "roles": list(roles) if roles else None}
    with db.connection() as conn:
        rows = conn.execute(
            USER_SELECT + where + " order by p.created_at desc, p.id limit %(l)s offset %(o)s",
            {**args, "l": limit, "o": offset},
        ).fetchall()
        total = conn.execute("select count(*) as n from public.profiles p" + where, args).fetchone()
    assert total is not None
    return UserPage(items=[UserOut.model_validate(r) for r in rows], total=total["n"])


def update_user(db: Database, member: Member, user_id: UUID, update: UserUpdate) -> UserOut:
    changes = update.model_fields_set
    if not changes:
        raise InvalidInput(
            [("body", "Send role, video_cap_override, money_cap_override and/or school_id.")]
        )
    if "role" in changes and update.role is None:
        raise InvalidInput([("role", "A role cannot be empty.")])
    if not member.is_operator:
        if "school_id" in changes:
            raise Forbidden("Only an operator moves users between schools.", code="operator_only")
        if update.role == "operator":
            raise Forbidden("Only an operator makes operators.", code="operator_only")
    if user_id == member.id and "role" in changes and update.role != member.role:
        raise AppError(
            "You cannot change your own role.", code="cannot_demote_self", status_code=409
        )
    with db.connection() as conn:
        before = _user_row(conn, user_id, member.scope)
        if before["role"] == "operator" and not member.is_operator:
            raise Forbidden("Only an operator changes an operator.", code="operator_only")
        if "school_id" in changes and update.school_id is not None:
            _check_school(conn, update.school_id)
        changed = _apply(conn, user_id, update, before)
        if changed:
            _record(conn, member, user_id, before, changed)
        row = _user_row(conn, user_id, None)
    return UserOut.model_validate(row)


def _user_row(conn: Connection, user_id: UUID, school: UUID | None) -> dict[str, Any]:
    row = conn.execute(
        USER_SELECT + " where p.id = %(id)s and" + _IN_SCOPE, {"id": user_id, "school": school}
    ).fetchone()
    if row is None:
        raise UserNotFound()
    return row


def _check_school(conn: Connection, school_id: UUID) -> None:
    if conn.execute("select 1 from public.schools where id = %s", (school_id,)).fetchone() is None:
        raise InvalidInput([("school_id", "No such school.")], code="school_not_found")


def _apply(
    conn: Connection, user_id: UUID, update: UserUpdate, before: dict[str, Any]
) -> dict[str, Any]:
    """Writes the fields sent that differ; returns them ({field: new value})."""
    wanted = {
        "role": update.role,
        "video_cap_override": update.video_cap_override,
        "money_cap_override": update.money_cap_override,
        "school_id": update.school_id,
    }
    current = before
    changed = {
        field: value
        for field, value in wanted.items()
        if field in update.model_fields_set and current[field] != value
    }
    for field, value in changed.items():  # field names from the fixed list above
        column = _COLUMNS.get(field, field)
        conn.execute(
            f"update public.profiles set {column} = %s, updated_at = now() where id = %s",
            (value, user_id),
        )
    if "school_id" in changed:  # a class belongs to one school: leave the old school's
        conn.execute(
            """delete from public.class_members m using public.classes c
               where c.id = m.class_id and m.user_id = %s
                 and c.school_id is distinct from %s""",
            (user_id, changed["school_id"]),
        )
    return changed


def _record(
    conn: Connection,
    member: Member,
    user_id: UUID,
    before: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    """`user.update` in the activity of the user's school (both schools when moved)."""
    details = {f: {"from": _plain(before[f]), "to": _plain(v)} for f, v in changed.items()}
    schools = {before["school_id"], changed.get("school_id", before["school_id"])} - {None}
    for school_id in schools:
        activity.append(
            conn,
            school_id=school_id,
            actor_id=member.id,
            action="user.update",
            subject_type="user",
            subject_id=user_id,
            details=details,
        )


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, UUID | Decimal) else value
