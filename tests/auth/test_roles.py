"""Promoting the first admin from the command line."""

from __future__ import annotations

from uuid import UUID

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
    assert me["role"] == "admin" and me["daily_video_cap"] == 100


def test_unknown_email_or_role(database_url: str) -> None:
    assert set_role(database_url, "nobody@school.example", "admin") is False
    with pytest.raises(ValueError, match="role must be one of"):
        set_role(database_url, "nobody@school.example", "root")


def test_operator_keeps_no_school_others_go_to_the_default_or_the_named_school(
    database_url: str, make_user, db
) -> None:
    """`make role EMAIL=.. ROLE=operator [SCHOOL=<uuid>]` (issue 15)."""
    from tests.support.schools import DEFAULT_SCHOOL, make_school

    ops, ada, bea = make_user(school=None), make_user(school=None), make_user(school=None)
    other = make_school(database_url, "Other school")
    assert set_role(database_url, ops.email, "operator") is True
    assert set_role(database_url, ada.email, "admin") is True
    assert set_role(database_url, bea.email, "teacher", school=other) is True
    rows = dict(
        (email, (role, school))
        for email, role, school in db.execute(
            "select email, role, school_id from public.profiles"
        ).fetchall()
    )
    assert rows[ops.email] == ("operator", None)
    assert rows[ada.email] == ("admin", DEFAULT_SCHOOL)
    assert rows[bea.email] == ("teacher", other)
    with pytest.raises(ValueError, match="No school with id"):
        set_role(database_url, ada.email, "admin", school=UUID(int=42))
    assert rows[ada.email] == ("admin", DEFAULT_SCHOOL)


def test_the_command_line_accepts_operator_and_school(database_url: str, make_user) -> None:
    import subprocess
    import sys

    from tests.support.schools import make_school

    user = make_user(school=None)
    other = make_school(database_url, "CLI school")
    args = [sys.executable, "-m", "videogen.auth.roles", user.email]
    done = subprocess.run(
        [*args, "admin", "--school", str(other), "--database-url", database_url],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "is now admin" in done.stdout
    bad = subprocess.run(
        [*args, "operator", "--school", "not-a-uuid", "--database-url", database_url],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--school" in bad.stderr
    missing = subprocess.run(
        [*args, "operator", "--school", str(UUID(int=42)), "--database-url", database_url],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "No school with id" in missing.stderr
