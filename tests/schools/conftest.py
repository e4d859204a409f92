"""Schools fixtures: the admin function (classes, codes, invites), the auth function
(registration), and users placed in a school with a role."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from tests.support.users import DEFAULT_SCHOOL, User

__all__ = ["DEFAULT_SCHOOL"]


@pytest.fixture
def auth_api() -> TestClient:
    return TestClient(load_handler("auth").app)


@pytest.fixture
def new_school(db: psycopg.Connection) -> Callable[..., uuid.UUID]:
    def make(name: str = "Other school", domains: list[str] | None = None) -> uuid.UUID:
        (school,) = db.execute(
            "insert into public.schools (name, email_domains) values (%s, %s) returning id",
            (name, domains or []),
        ).fetchone()
        return school

    return make


@pytest.fixture
def member(make_user, db: psycopg.Connection) -> Callable[..., User]:
    """A user of `role` in `school` (None: no school)."""

    def make(role: str = "student", school: uuid.UUID | None = DEFAULT_SCHOOL) -> User:
        user = make_user(role=role)
        db.execute("update public.profiles set school_id = %s where id = %s", (school, user.id))
        return user

    return make
