"""Real users for tests: registered through the auth function, signed in with real tokens."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler

PASSWORD = "correct-horse-42"
#: where a test user goes unless told otherwise (the migration's default school)
DEFAULT_SCHOOL = UUID("00000000-0000-0000-0000-000000000001")
DEFAULT: object = object()


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register_user(
    database_url: str, email: str, role: str = "student", school: UUID | object | None = DEFAULT
) -> User:
    """A registered, signed-in user, then given `role` and `school` in the database (test
    setup, as `make role` does): by default the default school, none for an operator."""
    client = TestClient(load_handler("auth").app)
    response = client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Test"}
    )
    assert response.status_code == 202, response.text
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    body = login.json()
    if school is DEFAULT:
        school = None if role == "operator" else DEFAULT_SCHOOL
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "update public.profiles set role = %s, school_id = %s where email = %s",
            (role, school, email),
        )
    return User(UUID(body["user"]["id"]), email, body["access_token"])
