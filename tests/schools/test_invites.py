"""Teacher invites (issue 15): a school admin invites a teacher by email; the token is shown
once, single use, 7 days; listed without it; revoked until used. Another school's invite is
404; teachers and students get 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.schools import error, register
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
    ).fetchall() == [("invite.create", head.id, {"email": "ms.lee@school.example"})]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),
        ({"email": "not an email"}, 422, "invalid_email"),
        ({"email": "a@b.c", "role": "admin"}, 422, "validation_error"),
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
