"""Helpers of the schools tests: registration, sign-in, a class with a fresh join code."""

from __future__ import annotations

import uuid

import psycopg
from fastapi.testclient import TestClient

from tests.support.users import PASSWORD, User


def error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def register(auth_api: TestClient, email: str, **extra: str) -> tuple[int, dict]:
    response = auth_api.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "New", **extra},
    )
    return response.status_code, response.json()


def sign_in(auth_api: TestClient, email: str) -> User:
    response = auth_api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return User(uuid.UUID(body["user"]["id"]), email, body["access_token"])


def profile(db: psycopg.Connection, email: str) -> dict | None:
    row = db.execute(
        "select id, role, school_id from public.profiles where email = %s", (email,)
    ).fetchone()
    return None if row is None else {"id": row[0], "role": row[1], "school_id": row[2]}


def new_class(admin_api: TestClient, teacher: User, name: str = "Year 9 Art", **code) -> dict:
    """A class with a fresh join code: the class and the code (shown once)."""
    made = admin_api.post("/classes", json={"name": name}, headers=teacher.headers)
    assert made.status_code == 201, made.text
    rotated = admin_api.post(
        f"/classes/{made.json()['id']}/join-code", json=code, headers=teacher.headers
    )
    assert rotated.status_code == 201, rotated.text
    return {**made.json(), "join_code": rotated.json()["code"]}
