"""Enrolment at registration (issue 15): a class code, a teacher invite, a school's email
domain or open sign-up decides the new account's school, role and class; otherwise
registration is invite-only. Through the auth function, with the local identity (the
account row is inserted into auth.users and the trigger applies the pending enrolment)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.schools.conftest import DEFAULT_SCHOOL
from tests.support.schools import new_class, profile, register, sign_in
from videogen.schools.errors import InvalidInvite, InvalidJoinCode, InviteOnly


@pytest.fixture
def invite_only(configure, db: psycopg.Connection) -> Iterator[None]:
    """Open sign-up off; test users (make_user: @school.example) still register, through
    the default school's email domain. Registrations under test use @home.example."""
    configure(OPEN_SIGNUP="false")
    db.execute(
        "update public.schools set email_domains = '{school.example}' where id = %s",
        (DEFAULT_SCHOOL,),
    )
    yield
    db.execute("update public.schools set email_domains = '{}' where id = %s", (DEFAULT_SCHOOL,))


def uses(db: psycopg.Connection, class_id: str) -> int:
    row = db.execute(
        "select uses from public.join_codes where class_id = %s and revoked_at is null",
        (class_id,),
    ).fetchone()
    return row[0]


def test_a_join_code_makes_a_student_of_its_class_and_school(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    typed = made["join_code"].lower().replace("-", " ")  # any case, spaces for the dash
    assert register(auth_api, "pupil@home.example", join_code=typed)[0] == 202
    assert profile(db, "pupil@home.example") == {
        "id": profile(db, "pupil@home.example")["id"],
        "role": "student",
        "school_id": DEFAULT_SCHOOL,
    }
    pupil = sign_in(auth_api, "pupil@home.example")
    classes = admin_api.get("/classes", headers=pupil.headers).json()["items"]
    assert [c["id"] for c in classes] == [made["id"]]
    assert classes[0]["code"] is None  # students never see the code's metadata
    assert uses(db, made["id"]) == 1
    assert db.execute("select count(*) from public.pending_enrolments").fetchone() == (0,)


def _code_states(db: psycopg.Connection, admin_api: TestClient, teacher) -> dict[str, str]:
    """A code for each reason a code does not work."""
    codes = {}
    expired = new_class(admin_api, teacher, "Expired")
    db.execute(
        "update public.join_codes set expires_at = now() - interval '1 second' where class_id = %s",
        (expired["id"],),
    )
    codes["expired"] = expired["join_code"]
    used_up = new_class(admin_api, teacher, "Full", max_uses=1)
    db.execute("update public.join_codes set uses = 1 where class_id = %s", (used_up["id"],))
    codes["used up"] = used_up["join_code"]
    rotated = new_class(admin_api, teacher, "Rotated")
    admin_api.post(f"/classes/{rotated['id']}/join-code", json={}, headers=teacher.headers)
    codes["revoked"] = rotated["join_code"]
    archived = new_class(admin_api, teacher, "Archived")
    admin_api.patch(f"/classes/{archived['id']}", json={"archived": True}, headers=teacher.headers)
    codes["archived class"] = archived["join_code"]
    codes["wrong"] = "ABCD-EFGH"
    codes["not a code"] = "hello!"
    codes["too short"] = "ABC"
    return codes


def test_every_code_that_does_not_work_gets_the_same_answer_and_consumes_nothing(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    teacher = member("teacher")
    for reason, code in _code_states(db, admin_api, teacher).items():
        before = db.execute("select sum(uses) from public.join_codes").fetchone()
        status, body = register(auth_api, f"{reason.replace(' ', '')}@home.example", join_code=code)
        assert status == 400, reason
        assert body["error"]["code"] == "invalid_join_code", reason
        assert body["error"]["message"] == InvalidJoinCode.message, reason
        assert db.execute("select sum(uses) from public.join_codes").fetchone() == before
        assert profile(db, f"{reason.replace(' ', '')}@home.example") is None, reason


def test_registration_without_a_way_in_is_invite_only(
    invite_only, auth_api: TestClient, db
) -> None:
    status, body = register(auth_api, "stranger@home.example")
    assert status == 403
    assert body["error"]["code"] == "invite_only"
    assert "ask your teacher for a class code" in body["error"]["message"]
    assert body["error"]["message"] == InviteOnly.message
    assert profile(db, "stranger@home.example") is None


def test_open_signup_makes_a_student_of_the_default_school(auth_api: TestClient, db) -> None:
    assert register(auth_api, "open@home.example")[0] == 202  # OPEN_SIGNUP=true (conftest)
    found = profile(db, "open@home.example")
    assert (found["role"], found["school_id"]) == ("student", DEFAULT_SCHOOL)


def test_a_schools_email_domain_makes_a_student_of_that_school(
    invite_only, auth_api: TestClient, new_school, db
) -> None:
    school = new_school(domains=["pupils.example"])
    assert register(auth_api, "Kid@Pupils.Example")[0] == 202
    found = profile(db, "kid@pupils.example")
    assert (found["role"], found["school_id"]) == ("student", school)
    memberships = db.execute(
        "select count(*) from public.class_members where user_id = %s", (found["id"],)
    ).fetchone()
    assert memberships == (0,)


def test_an_existing_email_gets_the_same_answer(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    first = register(auth_api, "twice@home.example", join_code=made["join_code"])
    again = register(auth_api, "twice@home.example", join_code=made["join_code"])
    assert first == again and first[0] == 202
    assert db.execute(
        "select count(*) from public.class_members where class_id = %s and role = 'student'",
        (made["id"],),
    ).fetchone() == (1,)


def test_a_taken_email_does_not_use_up_a_class_code(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    """Registering again with an email that has an account makes no account: the code's use
    comes back and no pending enrolment is left to place a later account."""
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    for _ in range(3):
        assert register(auth_api, "twice@home.example", join_code=made["join_code"])[0] == 202
    uses = db.execute(
        "select uses from public.join_codes where class_id = %s and revoked_at is null",
        (made["id"],),
    ).fetchone()
    assert uses == (1,)
    assert db.execute("select count(*) from public.pending_enrolments").fetchone() == (0,)


def test_a_taken_email_does_not_use_up_a_teacher_invite(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    head = member("admin")
    taken = member("student")
    invite = admin_api.post(
        "/school/invites", json={"email": taken.email}, headers=head.headers
    ).json()
    status, _ = register(auth_api, taken.email, invite_token=invite["token"])
    assert status == 202
    used = db.execute(
        "select used_at, used_by from public.teacher_invites where id = %s", (invite["id"],)
    ).fetchone()
    assert used == (None, None)
    assert profile(db, taken.email)["role"] == "student"


def test_a_teacher_invite_makes_a_teacher_of_the_school_once(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, new_school, db
) -> None:
    school = new_school()
    head = member("admin", school)
    invite = admin_api.post(
        "/school/invites", json={"email": "New.Teacher@Home.Example"}, headers=head.headers
    ).json()
    status, body = register(auth_api, "new.teacher@home.example", invite_token=invite["token"])
    assert status == 202, body
    found = profile(db, "new.teacher@home.example")
    assert (found["role"], found["school_id"]) == ("teacher", school)
    used = db.execute(
        "select used_at is not null, used_by from public.teacher_invites where id = %s",
        (invite["id"],),
    ).fetchone()
    assert used == (True, found["id"])
    teacher = sign_in(auth_api, "new.teacher@home.example")
    made = admin_api.post("/classes", json={"name": "Physics"}, headers=teacher.headers)
    assert made.status_code == 201 and made.json()["school_id"] == str(school)
    # single use
    status, body = register(auth_api, "new.teacher@home.example", invite_token=invite["token"])
    assert (status, body["error"]["code"]) == (400, "invalid_invite")


def test_an_invite_that_does_not_work_is_invalid_invite(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    head = member("admin")
    tokens = {}
    for name in ("other", "revoked", "expired"):
        made = admin_api.post(
            "/school/invites", json={"email": f"{name}@home.example"}, headers=head.headers
        ).json()
        tokens[name] = made
    admin_api.delete(f"/school/invites/{tokens['revoked']['id']}", headers=head.headers)
    db.execute(
        "update public.teacher_invites set expires_at = now() - interval '1 second' where id = %s",
        (tokens["expired"]["id"],),
    )
    cases = [
        ("someone.else@home.example", tokens["other"]["token"]),  # another email's invite
        ("revoked@home.example", tokens["revoked"]["token"]),
        ("expired@home.example", tokens["expired"]["token"]),
        ("other@home.example", "not-a-token"),
    ]
    for email, token in cases:
        status, body = register(auth_api, email, invite_token=token)
        assert status == 400, email
        assert body["error"]["code"] == "invalid_invite", email
        assert body["error"]["message"] == InvalidInvite.message, email
        assert profile(db, email) is None
    unused = db.execute(
        "select used_at from public.teacher_invites where id = %s", (tokens["other"]["id"],)
    ).fetchone()
    assert unused == (None,)


def test_a_code_and_an_invite_together_are_refused(auth_api: TestClient) -> None:
    status, body = register(auth_api, "both@home.example", join_code="ABCD-EFGH", invite_token="x")
    assert (status, body["error"]["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    "extra",
    [{"join_code": ""}, {"join_code": "A" * 33}, {"invite_token": ""}, {"join_code": 12345678}],
)
def test_malformed_code_fields_are_validation_errors(auth_api: TestClient, extra) -> None:
    status, body = register(auth_api, "bad@home.example", **extra)
    assert (status, body["error"]["code"]) == (422, "validation_error")


def test_a_refused_sign_up_gives_the_code_use_back(
    invite_only, admin_api: TestClient, auth_api: TestClient, member, db
) -> None:
    """A weak password is refused before anything is consumed; an identity failure after
    the code was taken gives the use back (here: the local store refuses a NUL byte)."""
    teacher = member("teacher")
    made = new_class(admin_api, teacher)
    status, body = register(
        auth_api, "weak@home.example", join_code=made["join_code"], password="short"
    )
    assert (status, body["error"]["code"]) == (422, "weak_password")
    assert uses(db, made["id"]) == 0
    status, body = register(
        auth_api, "nul@home.example", join_code=made["join_code"], display_name="bad\u0000name"
    )
    assert (status, body["error"]["code"]) == (422, "invalid_data")
    assert uses(db, made["id"]) == 0
    assert db.execute("select count(*) from public.pending_enrolments").fetchone() == (0,)


def test_ten_registrations_racing_on_a_code_of_three_uses_enrol_exactly_three(
    invite_only, admin_api: TestClient, member, db
) -> None:
    from tests.support.handlers import load_handler

    teacher = member("teacher")
    made = new_class(admin_api, teacher, max_uses=3)
    auth_app = load_handler("auth").app
    barrier = threading.Barrier(10)
    results: list[int] = []

    def attempt(n: int) -> None:
        client = TestClient(auth_app)
        barrier.wait()
        status, _ = register(client, f"racer{n}@home.example", join_code=made["join_code"])
        results.append(status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [202] * 3 + [400] * 7
    assert uses(db, made["id"]) == 3
    enrolled = db.execute(
        "select count(*) from public.class_members where class_id = %s and role = 'student'",
        (made["id"],),
    ).fetchone()
    assert enrolled == (3,)


def test_expired_pending_enrolments_are_ignored(
    invite_only, auth_api: TestClient, new_school, db
) -> None:
    """An enrolment recorded long ago (its sign-up never made an account) is not applied to
    an account created later by other means, and is purged."""
    school = new_school()
    db.execute(
        """insert into public.pending_enrolments (email_sha256, school_id, role, expires_at)
           values (encode(sha256(convert_to('late@home.example', 'UTF8')), 'hex'), %s,
                   'teacher', %s)""",
        (school, datetime.now(UTC) - timedelta(minutes=1)),
    )
    db.execute("insert into auth.users (email) values ('late@home.example')")
    found = profile(db, "late@home.example")
    assert (found["role"], found["school_id"]) == ("student", None)
    assert db.execute("select count(*) from public.pending_enrolments").fetchone() == (0,)
