"""Reads of `public.profiles`, always filtered on the owner (or done for an admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.budgets.repository import USER_DAY_JOIN

if TYPE_CHECKING:
    from videogen.db import Connection

PROFILE_SELECT = (
    """
    select p.id, p.email, p.display_name, p.role, p.created_at,
           day.daily_video_cap, day.daily_money_cap
    from public.profiles p
"""
    + USER_DAY_JOIN
)


def get_profile(conn: Connection, user_id: UUID) -> dict[str, Any] | None:
    return conn.execute(PROFILE_SELECT + " where p.id = %s", (user_id,)).fetchone()
