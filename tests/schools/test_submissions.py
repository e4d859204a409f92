"""Submissions belong to a school (issue 15): POST /generations needs one (403 `no_school`),
files the job under it and, optionally, a class the student is in (422 `invalid_class`);
a school's `allowed_models` (null: all) refuses the others (403 `model_not_allowed`).
Refusals reserve nothing and reach fal with nothing."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from tests.schools.conftest import DEFAULT_SCHOOL
from tests.support.fal import FakeFal
from tests.support.schools import error, new_class

MODEL = "fal-ai/ltx-video"


def submit(generations: TestClient, user, **extra) -> object:
    return generations.post(
        "/generations", json={"model": MODEL, "prompt": "a comet", **extra}, headers=user.headers
    )


def used_today(db: psycopg.Connection, user) -> int:
    row = db.execute(
        "select coalesce(sum(used), 0)::int from public.budget_balances"
        " where scope = 'student_videos' and scope_key = %s",
        (user.id,),
    ).fetchone()
    return row[0]


def test_a_job_is_filed_under_the_school_and_the_class(
    generations: TestClient, admin_api: TestClient, member, db
) -> None:
    teacher, pupil = member("teacher"), member("student")
    made = new_class(admin_api, teacher)
    admin_api.post("/classes/join", json={"code": made["join_code"]}, headers=pupil.headers)
    plain = submit(generations, pupil)
    filed = submit(generations, pupil, class_id=made["id"])
    assert plain.status_code == filed.status_code == 201, filed.text
    rows = db.execute(
        "select school_id, class_id::text from public.jobs where user_id = %s order by created_at",
        (pupil.id,),
    ).fetchall()
    assert rows == [(DEFAULT_SCHOOL, None), (DEFAULT_SCHOOL, made["id"])]


def test_a_user_without_a_school_cannot_submit(
    generations: TestClient, fal: FakeFal, member, db
) -> None:
    homeless = member("student", None)
    assert error(submit(generations, homeless), 403)["code"] == "no_school"
    assert not fal.requests and used_today(db, homeless) == 0


def test_a_class_the_student_is_not_in_is_invalid(
    generations: TestClient, admin_api: TestClient, fal: FakeFal, member, new_school, db
) -> None:
    teacher, pupil = member("teacher"), member("student")
    theirs = new_class(admin_api, teacher, "Not yours")
    archived = new_class(admin_api, teacher, "Archived")
    admin_api.post("/classes/join", json={"code": archived["join_code"]}, headers=pupil.headers)
    admin_api.patch(f"/classes/{archived['id']}", json={"archived": True}, headers=teacher.headers)
    for class_id in (theirs["id"], archived["id"], "00000000-0000-0000-0000-00000000dead"):
        body = error(submit(generations, pupil, class_id=class_id), 422)
        assert body["code"] == "invalid_class"
        assert body["details"]["fields"][0]["field"] == "class_id"
    response = submit(generations, pupil, class_id="not-a-uuid")
    assert error(response, 422)["code"] == "validation_error"
    assert not fal.requests and used_today(db, pupil) == 0


def test_the_schools_allowed_models_are_enforced(
    generations: TestClient, fal: FakeFal, member, new_school, db
) -> None:
    school = new_school()
    pupil = member("student", school)
    db.execute(
        "update public.schools set allowed_models = '{fal-ai/other}' where id = %s", (school,)
    )
    body = error(submit(generations, pupil), 403)
    assert (body["code"], body["details"]) == (
        "model_not_allowed",
        {"model": MODEL, "setting": "school", "allowed": ["fal-ai/other"]},
    )
    assert body["message"] == (
        f"The model {MODEL} is not allowed by your school; pick one of: fal-ai/other."
    )
    assert not fal.requests and used_today(db, pupil) == 0
    db.execute("update public.schools set allowed_models = %s where id = %s", ([MODEL], school))
    assert submit(generations, pupil).status_code == 201
    db.execute("update public.schools set allowed_models = null where id = %s", (school,))
    assert submit(generations, pupil).status_code == 201
