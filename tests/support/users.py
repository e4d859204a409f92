"""Real users for tests: registered through the auth function, signed in with real tokens."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler

PASSWORD = "correct-horse-42"


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register_user(database_url: str, email: str, role: str = "student") -> User:
    client = TestClient(load_handler("auth").app)
    response = client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Test"}
    )
    assert response.status_code == 202, response.text
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    body = login.json()
    if role != "student":
        with psycopg.connect(database_url) as conn:
            conn.execute("update public.profiles set role = %s where email = %s", (role, email))
    return User(UUID(body["user"]["id"]), email, body["access_token"])
