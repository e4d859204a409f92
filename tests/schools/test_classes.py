"""Classes and their join codes (issue 15), through the admin function: teachers create,
rename, archive and rotate codes of the classes they teach; school admins reach every class
of their school; another school's class, or a class a teacher does not teach, is 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.schools import error, new_class
from videogen.schools.codes import code_hash, normalise_code
from videogen.schools.errors import InvalidJoinCode

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def activity(db: psycopg.Connection, subject: str) -> list[str]:
    rows = db.execute(
        "select action from public.school_activity where subject_id = %s order by id", (subject,)
    ).fetchall()
    return [row[0] for row in rows]


def test_a_teacher_creates_a_class_and_teaches_it(admin_api: TestClient, member, db) -> None:
    teacher = member("teacher")
    made = admin_api.post("/classes", json={"name": " Year 9 Art "}, headers=teacher.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["name"] == "Year 9 Art"
    assert (body["student_count"], body["teacher_count"], body["archived"]) == (0, 1, False)
    assert body["code"] is None
    role = db.execute(
        "select role from public.class_members where class_id = %s and user_id = %s",
        (body["id"], teacher.id),
    ).fetchone()
    assert role == ("teacher",)
    assert activity(db, body["id"]) == ["class.create"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "x": 1}])
def test_a_class_needs_a_name_of_1_to_100_characters(admin_api: TestClient, member, body) -> None:
    teacher = member("teacher")
    response = admin_api.post("/classes", json=body, headers=teacher.headers)
    assert error(response, 422)["code"] == "validation_error"


def test_students_and_accounts_without_a_school_cannot_create_classes(
    admin_api: TestClient, member
) -> None:
    response = admin_api.post("/classes", json={"name": "x"}, headers=member("student").headers)
    assert error(response, 403)["code"] == "teacher_only"
    homeless = member("teacher", None)
    response = admin_api.post("/classes", json={"name": "x"}, headers=homeless.headers)
    assert error(response, 403)["code"] == "no_school"
    assert error(admin_api.get("/classes"), 401)["code"] == "missing_token"


def test_who_sees_which_class(admin_api: TestClient, member, new_school) -> None:
    ada, bob = member("teacher"), member("teacher")
    head, pupil = member("admin"), member("student")
    ada_class = new_class(admin_api, ada, "Ada's")
    bob_class = new_class(admin_api, bob, "Bob's")
    other = new_school()
    far_head, far_teacher = member("admin", other), member("teacher", other)
    far_class = new_class(admin_api, far_teacher, "Far")

    def names(user) -> set[str]:
        listed = admin_api.get("/classes", headers=user.headers)
        assert listed.status_code == 200, listed.text
        return {c["name"] for c in listed.json()["items"]}

    assert names(ada) == {"Ada's"}
    assert names(head) == {"Ada's", "Bob's"}
    assert names(pupil) == set()
    assert names(far_head) == {"Far"}
    listed = admin_api.get("/classes", headers=ada.headers).json()["items"][0]
    assert listed["code"]["max_uses"] == 40 and listed["code"]["uses"] == 0
    assert listed["code"]["active"] is True
    assert set(listed["code"]) == {"expires_at", "max_uses", "uses", "created_at", "active"}

    assert admin_api.get(f"/classes/{ada_class['id']}", headers=head.headers).status_code == 200
    for user, class_id in [
        (bob, ada_class["id"]),  # a teacher who does not teach it
        (far_head, ada_class["id"]),  # another school's admin
        (head, far_class["id"]),
        (pupil, bob_class["id"]),  # a student not in it
        (ada, "00000000-0000-0000-0000-00000000dead"),
    ]:
        response = admin_api.get(f"/classes/{class_id}", headers=user.headers)
        assert error(response, 404)["code"] == "class_not_found"
        patched = admin_api.patch(f"/classes/{class_id}", json={"name": "x"}, headers=user.headers)
        assert patched.status_code in (403, 404)
    response = admin_api.get("/classes/not-a-uuid", headers=ada.headers)
    assert error(response, 422)["code"] == "validation_error"


def test_rename_archive_and_unarchive_are_recorded(admin_api: TestClient, member, db) -> None:
    teacher, head = member("teacher"), member("admin")
    made = new_class(admin_api, teacher)
    renamed = admin_api.patch(
        f"/classes/{made['id']}", json={"name": "Year 10 Art"}, headers=teacher.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Year 10 Art"
    archived = admin_api.patch(
        f"/classes/{made['id']}", json={"archived": True}, headers=head.headers
    ).json()
    assert archived["archived"] is True and archived["archived_at"] is not None
    response = admin_api.post(f"/classes/{made['id']}/join-code", json={}, headers=teacher.headers)
    assert error(response, 409)["code"] == "class_archived"
    restored = admin_api.patch(
        f"/classes/{made['id']}", json={"archived": False}, headers=teacher.headers
    ).json()
    assert restored["archived"] is False
    assert activity(db, made["id"]) == [
        "class.create",
        "code.rotate",
        "class.rename",
        "class.archive",
        "class.unarchive",
    ]
    details = db.execute(
        "select actor_id, details from public.school_activity where action = 'class.rename'"
    ).fetchone()
    assert details == (teacher.id, {"from": "Year 9 Art", "to": "Year 10 Art"})


@pytest.mark.parametrize(
    "body", [{}, {"name": None}, {"name": ""}, {"archived": "maybe"}, {"owner": "me"}]
)
def test_a_class_update_needs_a_name_or_archived(admin_api: TestClient, member, body) -> None:
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    response = admin_api.patch(f"/classes/{made['id']}", json=body, headers=teacher.headers)
    assert error(response, 422)["code"] == "validation_error"


def test_rotating_shows_a_new_code_once_and_the_old_one_stops(
    admin_api: TestClient, member, db
) -> None:
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    first = made["join_code"]
    assert CODE.match(first)
    before = datetime.now(UTC)
    rotated = admin_api.post(
        f"/classes/{made['id']}/join-code",
        json={"expires_in_hours": 2, "max_uses": 5},
        headers=teacher.headers,
    )
    assert rotated.status_code == 201
    body = rotated.json()
    assert CODE.match(body["code"]) and body["code"] != first
    assert (body["max_uses"], body["uses"]) == (5, 0)
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=2) <= expires <= datetime.now(UTC) + timedelta(hours=2)
    stored = db.execute(
        "select code_hash, revoked_at is null from public.join_codes where class_id = %s"
        " order by created_at",
        (made["id"],),
    ).fetchall()
    assert [active for _, active in stored] == [False, True]
    secret_hash = code_hash(normalise_code(body["code"]), TEST_WEBHOOK_SECRET)
    assert stored[1][0] == secret_hash  # only the HMAC is kept
    assert body["code"].replace("-", "") not in str(stored)
    shown = admin_api.get(f"/classes/{made['id']}", headers=teacher.headers).json()
    assert shown["code"]["max_uses"] == 5
    assert body["code"] not in str(shown)  # shown once, at rotation


def test_a_rotation_without_a_body_takes_the_defaults(admin_api: TestClient, member) -> None:
    teacher = member("teacher")
    made = admin_api.post("/classes", json={"name": "x"}, headers=teacher.headers).json()
    body = admin_api.post(f"/classes/{made['id']}/join-code", headers=teacher.headers).json()
    assert body["max_uses"] == 40
    hours = (datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)).total_seconds() / 3600
    assert 167.9 < hours <= 168


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in_hours": 0},
        {"expires_in_hours": 721},
        {"max_uses": 0},
        {"max_uses": 1001},
        {"max_uses": "many"},
        {"code": "ABCD-EFGH"},  # a teacher cannot choose the code
    ],
)
def test_rotation_limits(admin_api: TestClient, member, body) -> None:
    teacher = member("teacher")
    made = admin_api.post("/classes", json={"name": "x"}, headers=teacher.headers).json()
    response = admin_api.post(
        f"/classes/{made['id']}/join-code", json=body, headers=teacher.headers
    )
    assert error(response, 422)["code"] == "validation_error"


def test_a_teacher_removes_a_student(admin_api: TestClient, member, db) -> None:
    teacher, pupil, other_teacher = member("teacher"), member("student"), member("teacher")
    made = new_class(admin_api, teacher)
    joined = admin_api.post(
        "/classes/join", json={"code": made["join_code"]}, headers=pupil.headers
    )
    assert joined.status_code == 200 and joined.json()["student_count"] == 1
    path = f"/classes/{made['id']}/members/{pupil.id}"
    assert error(admin_api.delete(path, headers=other_teacher.headers), 404)["code"] == (
        "class_not_found"
    )
    assert error(admin_api.delete(path, headers=pupil.headers), 403)["code"] == "teacher_only"
    assert admin_api.delete(path, headers=teacher.headers).status_code == 204
    assert error(admin_api.delete(path, headers=teacher.headers), 404)["code"] == (
        "member_not_found"
    )
    teacher_path = f"/classes/{made['id']}/members/{teacher.id}"
    assert error(admin_api.delete(teacher_path, headers=teacher.headers), 404)["code"] == (
        "member_not_found"
    )
    assert admin_api.get("/classes", headers=pupil.headers).json()["items"] == []
    row = db.execute(
        "select actor_id, subject_id, details from public.school_activity"
        " where action = 'member.remove'"
    ).fetchone()
    assert row == (teacher.id, pupil.id, {"class_id": made["id"]})


def test_a_signed_in_student_joins_another_class_of_their_school(
    admin_api: TestClient, member, new_school, db
) -> None:
    teacher, pupil = member("teacher"), member("student")
    first, second = new_class(admin_api, teacher, "First"), new_class(admin_api, teacher, "Second")
    for made in (first, second):
        typed = made["join_code"].lower()
        response = admin_api.post("/classes/join", json={"code": typed}, headers=pupil.headers)
        assert response.status_code == 200 and response.json()["id"] == made["id"]
    again = admin_api.post(
        "/classes/join", json={"code": first["join_code"]}, headers=pupil.headers
    )
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert db.execute(
        "select uses from public.join_codes where class_id = %s", (first["id"],)
    ).fetchone() == (1,)  # joining twice uses the code once
    listed = admin_api.get("/classes", headers=pupil.headers).json()["items"]
    assert {c["name"] for c in listed} == {"First", "Second"}

    far_teacher = member("teacher", new_school())
    far = new_class(admin_api, far_teacher, "Far")
    for code in (far["join_code"], "ZZZZ-ZZZZ", "?"):
        response = admin_api.post("/classes/join", json={"code": code}, headers=pupil.headers)
        body = error(response, 400)
        assert (body["code"], body["message"]) == ("invalid_join_code", InvalidJoinCode.message)
    assert db.execute(
        "select uses from public.join_codes where class_id = %s", (far["id"],)
    ).fetchone() == (0,)


def test_a_student_without_a_school_joins_the_codes_school(
    admin_api: TestClient, member, new_school, db
) -> None:
    school = new_school()
    made = new_class(admin_api, member("teacher", school))
    homeless = member("student", None)
    assert error(admin_api.get("/classes", headers=homeless.headers), 403)["code"] == "no_school"
    joined = admin_api.post(
        "/classes/join", json={"code": made["join_code"]}, headers=homeless.headers
    )
    assert joined.status_code == 200
    assert db.execute(
        "select school_id from public.profiles where id = %s", (homeless.id,)
    ).fetchone() == (school,)
    assert admin_api.get("/classes", headers=homeless.headers).status_code == 200


def test_only_students_join_with_a_code(admin_api: TestClient, member) -> None:
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    response = admin_api.post(
        "/classes/join", json={"code": made["join_code"]}, headers=member("teacher").headers
    )
    assert error(response, 403)["code"] == "student_only"
    for body in ({}, {"code": ""}, {"code": "A" * 33}):
        response = admin_api.post("/classes/join", json=body, headers=member().headers)
        assert error(response, 422)["code"] == "validation_error"
