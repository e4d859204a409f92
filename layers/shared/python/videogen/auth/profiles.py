"""Reads of `public.profiles`, always filtered on the owner (or done for an admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection

PROFILE_SELECT = """
    select p.id, p.email, p.display_name, p.role, p.created_at,
           e.daily_quota
    from public.profiles p
    join public.effective_quotas e on e.user_id = p.id
"""


def get_profile(conn: Connection, user_id: UUID) -> dict[str, Any] | None:
    return conn.execute(PROFILE_SELECT + " where p.id = %s", (user_id,)).fetchone()
