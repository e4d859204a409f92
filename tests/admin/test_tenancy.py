"""The admin routes scoped by school (issue 15, "Tenancy"): the admin of school A sees and
acts on A's jobs and users only, B's being not found (404, as an unknown id); an operator
sees and acts on every school's, with the school named in each row."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.support.schools import DEFAULT_SCHOOL, School
from tests.support.users import User


def submit(generations: TestClient, user: User, prompt: str) -> str:
    response = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": prompt}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def activity(db: psycopg.Connection, school_id: object) -> list[tuple]:
    return db.execute(
        """select action, subject_id, details from public.school_activity
           where school_id = %s order by id""",
        (school_id,),
    ).fetchall()


def test_school_admin_lists_only_their_schools_jobs_and_users_operator_all(
    admin_api: TestClient, generations: TestClient, make_user, school_b: School
) -> None:
    admin_a, student_a = make_user(role="admin"), make_user()
    operator = make_user(role="operator")
    job_a = submit(generations, student_a, "a volcano")
    job_b = submit(generations, school_b.student, "a glacier")

    jobs = admin_api.get("/admin/jobs", headers=admin_a.headers).json()["items"]
    assert [j["id"] for j in jobs] == [job_a]
    assert jobs[0]["school_id"] == str(DEFAULT_SCHOOL)
    assert jobs[0]["school_name"] == "Default school"
    assert jobs[0]["user_id"] == str(student_a.id)
    by_b_student = admin_api.get(
        f"/admin/jobs?user_id={school_b.student.id}", headers=admin_a.headers
    ).json()
    assert by_b_student["items"] == []
    users = admin_api.get("/admin/users", headers=admin_a.headers).json()
    emails = {u["email"] for u in users["items"]}
    assert emails == {admin_a.email, student_a.email}  # not B's, not the schoolless operator
    assert users["total"] == 2
    searched = admin_api.get("/admin/users?q=school-b", headers=admin_a.headers).json()
    assert searched == {"items": [], "total": 0}

    b_jobs = admin_api.get("/admin/jobs", headers=school_b.admin.headers).json()["items"]
    assert [j["id"] for j in b_jobs] == [job_b]
    assert b_jobs[0]["school_name"] == "School B"

    every = admin_api.get("/admin/jobs", headers=operator.headers).json()["items"]
    assert {(j["id"], j["school_name"]) for j in every} == {
        (job_a, "Default school"),
        (job_b, "School B"),
    }
    all_users = admin_api.get("/admin/users?limit=200", headers=operator.headers).json()
    schools = {u["email"]: u["school_name"] for u in all_users["items"]}
    assert schools[school_b.student.email] == "School B"
    assert schools[student_a.email] == "Default school"
    assert schools[operator.email] is None
    assert all_users["total"] == 6


def test_another_schools_job_and_user_are_404_for_a_school_admin(
    admin_api: TestClient, generations: TestClient, make_user, school_b: School, db
) -> None:
    admin_a = make_user(role="admin")
    job_b = submit(generations, school_b.student, "a glacier")

    for action, body in (("fail", {"reason": "stuck"}), ("recheck", None)):
        response = admin_api.post(
            f"/admin/jobs/{job_b}/{action}", json=body, headers=admin_a.headers
        )
        assert error_code(response, 404) == "job_not_found"
    assert db.execute("select status from public.jobs where id = %s", (job_b,)).fetchone() == (
        "submitted",
    )
    assert db.execute("select count(*) from public.job_admin_actions").fetchone() == (0,)
    for body in ({"role": "teacher"}, {"video_cap_override": 1}):
        response = admin_api.patch(
            f"/admin/users/{school_b.student.id}", json=body, headers=admin_a.headers
        )
        assert error_code(response, 404) == "user_not_found"
    assert db.execute(
        "select role, daily_video_cap from public.profiles where id = %s", (school_b.student.id,)
    ).fetchone() == ("student", None)

    # their own school's admin may
    failed = admin_api.post(
        f"/admin/jobs/{job_b}/fail", json={"reason": "stuck"}, headers=school_b.admin.headers
    )
    assert failed.status_code == 200, failed.text
    assert failed.json()["job"]["status"] == "failed"


def test_operator_acts_on_any_schools_job_and_user(
    admin_api: TestClient, generations: TestClient, make_user, school_b: School
) -> None:
    operator = make_user(role="operator")
    job_b = submit(generations, school_b.student, "a glacier")
    recheck = admin_api.post(f"/admin/jobs/{job_b}/recheck", headers=operator.headers)
    assert recheck.status_code == 200, recheck.text
    teacher = admin_api.patch(
        f"/admin/users/{school_b.student.id}", json={"role": "teacher"}, headers=operator.headers
    )
    assert teacher.status_code == 200, teacher.text
    assert teacher.json()["role"] == "teacher" and teacher.json()["school_name"] == "School B"


def test_school_admin_sets_roles_within_the_school_never_operator_never_the_school(
    admin_api: TestClient, make_user, school_b: School, db
) -> None:
    admin_a, ada = make_user(role="admin"), make_user()
    made_admin = admin_api.patch(
        f"/admin/users/{ada.id}", json={"role": "admin"}, headers=admin_a.headers
    )
    assert made_admin.status_code == 200 and made_admin.json()["role"] == "admin"
    for body in (
        {"role": "operator"},
        {"school_id": str(school_b.id)},
        {"school_id": None},
        {"role": "teacher", "school_id": str(DEFAULT_SCHOOL)},
    ):
        response = admin_api.patch(f"/admin/users/{ada.id}", json=body, headers=admin_a.headers)
        assert error_code(response, 403) == "operator_only", body
    assert db.execute(
        "select role, school_id from public.profiles where id = %s", (ada.id,)
    ).fetchone() == ("admin", DEFAULT_SCHOOL)

    # an operator who belongs to the school is not the school admin's to change
    resident = make_user(role="operator", school=DEFAULT_SCHOOL)
    response = admin_api.patch(
        f"/admin/users/{resident.id}", json={"role": "student"}, headers=admin_a.headers
    )
    assert error_code(response, 403) == "operator_only"
    # the role change is in the school's activity log
    (entry,) = [row for row in activity(db, DEFAULT_SCHOOL) if row[1] == ada.id]
    assert entry[0] == "user.update"
    assert entry[2] == {"role": {"from": "student", "to": "admin"}}


def test_operator_moves_a_user_between_schools_and_makes_operators(
    admin_api: TestClient, make_user, school_b: School, db
) -> None:
    operator, ada = make_user(role="operator"), make_user()
    (class_id,) = db.execute(
        "insert into public.classes (school_id, name) values (%s, '7B') returning id",
        (DEFAULT_SCHOOL,),
    ).fetchone()
    db.execute(
        "insert into public.class_members (class_id, user_id, role) values (%s, %s, 'student')",
        (class_id, ada.id),
    )
    moved = admin_api.patch(
        f"/admin/users/{ada.id}", json={"school_id": str(school_b.id)}, headers=operator.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["school_id"] == str(school_b.id)
    assert moved.json()["school_name"] == "School B"
    # the old school's classes are left; both schools' logs say so
    assert db.execute(
        "select count(*) from public.class_members where user_id = %s", (ada.id,)
    ).fetchone() == (0,)
    change = {"school_id": {"from": str(DEFAULT_SCHOOL), "to": str(school_b.id)}}
    for school in (DEFAULT_SCHOOL, school_b.id):
        assert ("user.update", ada.id, change) in activity(db, school)
    # the admin of her old school no longer finds her; the new one does
    gone = admin_api.patch(
        f"/admin/users/{ada.id}",
        json={"video_cap_override": 1},
        headers=make_user(role="admin").headers,
    )
    assert error_code(gone, 404) == "user_not_found"
    found = admin_api.get("/admin/users", headers=school_b.admin.headers).json()
    assert ada.email in {u["email"] for u in found["items"]}

    promoted = admin_api.patch(
        f"/admin/users/{ada.id}", json={"role": "operator"}, headers=operator.headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "operator"
    unknown = admin_api.patch(
        f"/admin/users/{ada.id}",
        json={"school_id": "00000000-0000-0000-0000-00000000abcd"},
        headers=operator.headers,
    )
    assert error_code(unknown, 422) == "school_not_found"
    demote_self = admin_api.patch(
        f"/admin/users/{operator.id}", json={"role": "admin"}, headers=operator.headers
    )
    assert error_code(demote_self, 409) == "cannot_demote_self"


def test_students_teachers_and_the_schoolless_are_refused(
    admin_api: TestClient, make_user, school_b: School
) -> None:
    loner = make_user(school=None)
    for user, status, code in (
        (school_b.student, 403, "admin_only"),
        (school_b.teacher, 403, "admin_only"),
        (loner, 403, "no_school"),
    ):
        for method, path in (("GET", "/admin/jobs"), ("GET", "/admin/users")):
            response = admin_api.request(method, path, headers=user.headers)
            assert error_code(response, status) == code


def test_users_filtered_by_role_and_an_operator_names_the_school(
    admin_api: TestClient, make_user, school_b: School
) -> None:
    """The Teachers page's list: `role` (repeatable) and, for operators, `school_id`; a
    school admin naming another school is 404, as its rows are."""
    admin_a, teacher_a, student_a = make_user("admin"), make_user("teacher"), make_user()
    operator = make_user("operator")

    def emails(user: User, query: str) -> set[str]:
        response = admin_api.get(f"/admin/users?{query}", headers=user.headers)
        assert response.status_code == 200, response.text
        return {u["email"] for u in response.json()["items"]}

    assert emails(admin_a, "role=teacher&role=admin") == {admin_a.email, teacher_a.email}
    assert emails(admin_a, "role=student") == {student_a.email}
    assert emails(operator, f"role=teacher&school_id={school_b.id}") == {school_b.teacher.email}
    assert emails(operator, f"school_id={school_b.id}") == {
        school_b.admin.email,
        school_b.teacher.email,
        school_b.student.email,
    }
    assert emails(admin_a, f"school_id={DEFAULT_SCHOOL}") == {
        admin_a.email,
        teacher_a.email,
        student_a.email,
    }
    other = admin_api.get(f"/admin/users?school_id={school_b.id}", headers=admin_a.headers)
    assert error_code(other, 404) == "school_not_found"
    bad = admin_api.get("/admin/users?role=principal", headers=admin_a.headers)
    assert error_code(bad, 422) == "validation_error"
