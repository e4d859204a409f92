"""Promoting the first admin from the command line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from videogen.auth.roles import set_role


def test_set_role_changes_the_profile_and_me_shows_it(database_url: str) -> None:
    client = TestClient(load_handler("auth").app)
    client.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": "correct-horse-42", "display_name": "A"},
    )
    session = client.post(
        "/auth/login", json={"email": "ada@school.example", "password": "correct-horse-42"}
    ).json()
    assert set_role(database_url, "ADA@school.example", "admin") is True
    me = client.get("/me", headers={"Authorization": f"Bearer {session['access_token']}"}).json()
    assert me["role"] == "admin" and me["daily_quota"] == 100


def test_unknown_email_or_role(database_url: str) -> None:
    assert set_role(database_url, "nobody@school.example", "admin") is False
    with pytest.raises(ValueError, match="role must be one of"):
        set_role(database_url, "nobody@school.example", "root")
