"""Teacher invites (issue 15): a school admin invites a teacher (or another admin) by email;
the token is shown once, single use, 7 days; listed without it; revoked until used. Another
school's invite is 404; teachers and students get 403. An operator invites a new school's
first admin by naming the school."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.schools import error, profile, register, sign_in
from videogen.schools.codes import invite_hash


def test_an_admin_invites_a_teacher_and_sees_the_token_once(
    admin_api: TestClient, member, db
) -> None:
    head = member("admin")
    made = admin_api.post(
        "/school/invites", json={"email": "Ms.Lee@School.Example"}, headers=head.headers
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["email"] == "ms.lee@school.example" and body["status"] == "pending"
    days = (datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)) / timedelta(days=1)
    assert 6.99 < days <= 7
    stored = db.execute(
        "select token_hash, school_id from public.teacher_invites where id = %s", (body["id"],)
    ).fetchone()
    assert stored[0] == invite_hash(body["token"], TEST_WEBHOOK_SECRET)
    listed = admin_api.get("/school/invites", headers=head.headers).json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]
    assert "token" not in listed[0] and body["token"] not in str(listed)
    assert db.execute(
        "select action, actor_id, details from public.school_activity where subject_id = %s",
        (body["id"],),
    ).fetchall() == [
        ("invite.create", head.id, {"email": "ms.lee@school.example", "role": "teacher"})
    ]
    assert body["role"] == "teacher"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),
        ({"email": "not an email"}, 422, "invalid_email"),
        ({"email": "a@b.c", "role": "operator"}, 422, "validation_error"),
        ({"email": "a@b.c", "role": "student"}, 422, "validation_error"),
    ],
)
def test_an_invite_needs_a_valid_email(admin_api: TestClient, member, body, status, code) -> None:
    response = admin_api.post("/school/invites", json=body, headers=member("admin").headers)
    assert error(response, status)["code"] == code


def test_only_school_admins_manage_invites(admin_api: TestClient, member) -> None:
    for role in ("student", "teacher"):
        user = member(role)
        for method, path in [
            ("POST", "/school/invites"),
            ("GET", "/school/invites"),
            ("DELETE", "/school/invites/00000000-0000-0000-0000-000000000001"),
        ]:
            response = admin_api.request(
                method, path, json={"email": "x@school.example"}, headers=user.headers
            )
            assert error(response, 403)["code"] == "admin_only", (role, method)


def test_revoking_an_invite(
    admin_api: TestClient, auth_api: TestClient, member, new_school, db
) -> None:
    head, far_head = member("admin"), member("admin", new_school())
    invite = admin_api.post(
        "/school/invites", json={"email": "t@home.example"}, headers=head.headers
    ).json()
    path = f"/school/invites/{invite['id']}"
    assert error(admin_api.delete(path, headers=far_head.headers), 404)["code"] == (
        "invite_not_found"
    )
    assert admin_api.get("/school/invites", headers=far_head.headers).json()["items"] == []
    assert admin_api.delete(path, headers=head.headers).status_code == 204
    assert admin_api.delete(path, headers=head.headers).status_code == 204  # already revoked
    listed = admin_api.get("/school/invites", headers=head.headers).json()["items"]
    assert listed[0]["status"] == "revoked"
    actions = db.execute(
        "select action from public.school_activity where subject_id = %s order by id",
        (invite["id"],),
    ).fetchall()
    assert actions == [("invite.create",), ("invite.revoke",)]
    status, body = register(auth_api, "t@home.example", invite_token=invite["token"])
    assert (status, body["error"]["code"]) == (400, "invalid_invite")

    used = admin_api.post(
        "/school/invites", json={"email": "u@home.example"}, headers=head.headers
    ).json()
    assert register(auth_api, "u@home.example", invite_token=used["token"])[0] == 202
    response = admin_api.delete(f"/school/invites/{used['id']}", headers=head.headers)
    assert error(response, 409)["code"] == "invite_used"
    missing = admin_api.delete(
        "/school/invites/00000000-0000-0000-0000-00000000dead", headers=head.headers
    )
    assert error(missing, 404)["code"] == "invite_not_found"


def test_an_operator_invites_a_new_schools_first_admin(
    admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    operator = member("operator", None)
    made = admin_api.post("/admin/schools", json={"name": "Hill School"}, headers=operator.headers)
    assert made.status_code == 201, made.text
    school = made.json()["id"]
    # an operator of no school must name it
    unnamed = admin_api.post(
        "/school/invites", json={"email": "head@hill.example"}, headers=operator.headers
    )
    assert error(unnamed, 422)["code"] == "school_required"
    invite = admin_api.post(
        "/school/invites",
        params={"school_id": school},
        json={"email": "head@hill.example", "role": "admin"},
        headers=operator.headers,
    )
    assert invite.status_code == 201, invite.text
    listed = admin_api.get(
        "/school/invites", params={"school_id": school}, headers=operator.headers
    ).json()["items"]
    assert [(i["email"], i["role"]) for i in listed] == [("head@hill.example", "admin")]

    assert register(auth_api, "head@hill.example", invite_token=invite.json()["token"])[0] == 202
    found = profile(db, "head@hill.example")
    assert (found["role"], str(found["school_id"])) == ("admin", school)
    head = sign_in(auth_api, "head@hill.example")
    settings = admin_api.get("/school", headers=head.headers)
    assert settings.status_code == 200 and settings.json()["name"] == "Hill School"


def test_a_school_admin_cannot_invite_into_another_school(
    admin_api: TestClient, member, new_school
) -> None:
    head = member("admin")
    other = new_school()
    for method in ("POST", "GET"):
        response = admin_api.request(
            method,
            "/school/invites",
            params={"school_id": str(other)},
            json={"email": "x@y.example"} if method == "POST" else None,
            headers=head.headers,
        )
        assert error(response, 404)["code"] == "school_not_found"
