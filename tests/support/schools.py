"""A second school and its users, for the tenancy tests: made with SQL (test setup, as an
operator's POST /admin/schools would), the users registered through the auth function with
real tokens and placed in it. Every scoping test uses this one helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import psycopg

from tests.support.users import DEFAULT_SCHOOL, User

__all__ = ["DEFAULT_SCHOOL", "School", "make_school", "school_with_users"]


@dataclass(frozen=True)
class School:
    id: UUID
    name: str
    admin: User
    teacher: User
    student: User


def make_school(database_url: str, name: str) -> UUID:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "insert into public.schools (name) values (%s) returning id", (name,)
        ).fetchone()
    assert row is not None
    return row[0]


def school_with_users(
    database_url: str, make_user: Callable[..., User], name: str = "Second school"
) -> School:
    """A new school with an admin, a teacher and a student of its own."""
    school_id = make_school(database_url, name)
    slug = name.lower().replace(" ", "-")
    return School(
        id=school_id,
        name=name,
        admin=make_user(role="admin", email=f"head@{slug}.example", school=school_id),
        teacher=make_user(role="teacher", email=f"teacher@{slug}.example", school=school_id),
        student=make_user(email=f"student@{slug}.example", school=school_id),
    )
