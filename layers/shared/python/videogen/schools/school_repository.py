"""SQL of the schools themselves (`public.schools`): the one place a school row is read or
written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from videogen.db import Connection

COLUMNS = """id, name, time_zone, retention_days, email_domains, blocklist_terms,
    allowed_models, created_at, updated_at"""
#: the settings a school admin may change (names interpolated only from this list)
SETTINGS = (
    "name",
    "time_zone",
    "retention_days",
    "email_domains",
    "blocklist_terms",
    "allowed_models",
)


def get(conn: Connection, school_id: UUID) -> dict[str, Any] | None:
    return conn.execute(
        f"select {COLUMNS} from public.schools where id = %s", (school_id,)
    ).fetchone()


def lock(conn: Connection, school_id: UUID) -> dict[str, Any] | None:
    """The row, locked: two admins' changes are recorded one after the other."""
    return conn.execute(
        f"select {COLUMNS} from public.schools where id = %s for update", (school_id,)
    ).fetchone()


def every(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute(f"select {COLUMNS} from public.schools order by name, id").fetchall()


def create(conn: Connection, name: str, time_zone: str) -> dict[str, Any]:
    row = conn.execute(
        f"insert into public.schools (name, time_zone) values (%s, %s) returning {COLUMNS}",
        (name, time_zone),
    ).fetchone()
    assert row is not None
    return row


def update(conn: Connection, school_id: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    assignments = ", ".join(f"{field} = %s" for field in changes if field in SETTINGS)
    assert len(changes) and all(field in SETTINGS for field in changes)
    row = conn.execute(
        f"update public.schools set {assignments}, updated_at = now() where id = %s"
        f" returning {COLUMNS}",
        [*changes.values(), school_id],
    ).fetchone()
    assert row is not None
    return row
