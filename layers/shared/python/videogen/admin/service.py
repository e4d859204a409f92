"""Admin use cases over users (jobs reuse the generation service's listing)."""

from __future__ import annotations

from uuid import UUID

from videogen.admin.models import UserOut, UserPage, UserUpdate
from videogen.db import Database
from videogen.errors import AppError, InvalidInput, NotFound

USER_SELECT = """
    select p.id, p.email, p.display_name, p.role, p.created_at,
           p.daily_quota as quota_override,
           e.daily_quota,
           coalesce(u.used, 0) as used_today
    from public.profiles p
    join public.effective_quotas e on e.user_id = p.id
    left join public.quota_usage u
      on u.user_id = p.id and u.day = (now() at time zone 'UTC')::date
"""


def list_users(db: Database, search: str | None, limit: int, offset: int) -> UserPage:
    pattern = f"%{search.lower()}%" if search else None
    where = " where (%(p)s::text is null or lower(p.email) like %(p)s"
    where += " or lower(p.display_name) like %(p)s)"
    with db.connection() as conn:
        rows = conn.execute(
            USER_SELECT + where + " order by p.created_at desc, p.id limit %(l)s offset %(o)s",
            {"p": pattern, "l": limit, "o": offset},
        ).fetchall()
        total = conn.execute(
            "select count(*) as n from public.profiles p" + where, {"p": pattern}
        ).fetchone()
    assert total is not None
    return UserPage(items=[UserOut.model_validate(r) for r in rows], total=total["n"])


def update_user(db: Database, admin_id: UUID, user_id: UUID, update: UserUpdate) -> UserOut:
    changes = update.model_fields_set
    if not changes:
        raise InvalidInput([("body", "Send role and/or daily_quota.")])
    if "role" in changes and update.role is None:
        raise InvalidInput([("role", "A role cannot be empty.")])
    if user_id == admin_id and "role" in changes and update.role != "admin":
        raise AppError(
            "Admins cannot remove their own admin role.", code="cannot_demote_self", status_code=409
        )
    with db.connection() as conn:
        if "role" in changes:
            conn.execute(
                "update public.profiles set role = %s, updated_at = now() where id = %s",
                (update.role, user_id),
            )
        if "daily_quota" in changes:
            conn.execute(
                "update public.profiles set daily_quota = %s, updated_at = now() where id = %s",
                (update.daily_quota, user_id),
            )
        row = conn.execute(USER_SELECT + " where p.id = %s", (user_id,)).fetchone()
    if row is None:
        raise NotFound("No such user.", code="user_not_found")
    return UserOut.model_validate(row)
