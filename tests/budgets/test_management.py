"""Budget management (issue 16, part A): a school admin (an operator with ?school_id=) reads
and sets the school's monthly budget and per-role limits and reads the month's status for the
banner; a class's teacher or the school's admin sets its monthly cap and model override and
reads its spend. Another school's class or school is 404, a student 403; every change is in
the school's activity; the per-role and per-class models are enforced at submission.
Through the admin and generations functions' apps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.schools import DEFAULT_SCHOOL, School, make_class
from tests.support.schools import error as error_of

LTX = "fal-ai/ltx-video"
OTHER = "fal-ai/kling-video/v2.1/master/text-to-video"


def named(error: dict[str, Any], field: str, words: str) -> bool:
    """The 422 names `field` (and says `words` about it) in its message and details."""
    return field in error["message"] and any(
        field in f["field"].split(".") and words in f["message"] for f in error["details"]["fields"]
    )


def activity(db: psycopg.Connection, school) -> list[tuple]:  # type: ignore[no-untyped-def]
    return db.execute(
        "select action, subject_id, details from public.school_activity"
        " where school_id = %s and action in ('budget.update', 'class.budget') order by id",
        (school,),
    ).fetchall()


def submit(client: TestClient, user, model: str = LTX, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/generations", json={"model": model, "prompt": "a comet", **extra}, headers=user.headers
    )


# --- the school's budget and per-role limits --------------------------------------------------


def test_admin_reads_and_sets_the_school_budget_and_role_limits(
    admin_api: TestClient, make_user, db
) -> None:
    admin = make_user(role="admin")
    before = admin_api.get("/school/budget", headers=admin.headers)
    assert before.status_code == 200, before.text
    body = before.json()
    assert body["monthly_budget"] is None and body["currency"] == "USD"
    assert body["time_zone"] == "UTC" and body["school_id"] == str(DEFAULT_SCHOOL)
    assert [
        (r["role"], r["daily_video_cap"], r["daily_money_cap"]) for r in body["role_limits"]
    ] == [
        ("student", 5, None),
        ("teacher", 20, None),
        ("admin", 100, None),
        ("operator", 100, None),
    ]

    put = admin_api.put(
        "/school/budget",
        json={
            "monthly_budget": "250.5",
            "role_limits": [
                {
                    "role": "student",
                    "daily_money_cap": 1.25,
                    "daily_video_cap": 3,
                    "allowed_models": [LTX],
                },
            ],
        },
        headers=admin.headers,
    )
    assert put.status_code == 200, put.text
    after = put.json()
    assert after["monthly_budget"] == "250.5"
    student = after["role_limits"][0]
    assert (student["role"], student["daily_money_cap"], student["daily_video_cap"]) == (
        "student",
        "1.25",
        3,
    )
    assert student["allowed_models"] == [LTX]
    assert after["role_limits"][1]["daily_video_cap"] == 20  # roles not listed keep theirs
    stored = db.execute(
        "select monthly_budget from public.schools where id = %s", (DEFAULT_SCHOOL,)
    ).fetchone()
    assert stored == (Decimal("250.50"),)
    assert activity(db, DEFAULT_SCHOOL) == [
        (
            "budget.update",
            DEFAULT_SCHOOL,
            {
                "monthly_budget": {"from": None, "to": "250.5"},
                "role_limits.student": {
                    "from": {"daily_money_cap": None, "daily_video_cap": 5, "allowed_models": None},
                    "to": {
                        "daily_money_cap": "1.25",
                        "daily_video_cap": 3,
                        "allowed_models": [LTX],
                    },
                },
            },
        )
    ]
    # the same again changes nothing and logs nothing
    again = admin_api.put(
        "/school/budget", json={"monthly_budget": "250.50"}, headers=admin.headers
    )
    assert again.status_code == 200 and len(activity(db, DEFAULT_SCHOOL)) == 1
    # null: no limit
    admin_api.put("/school/budget", json={"monthly_budget": None}, headers=admin.headers)
    assert admin_api.get("/school/budget", headers=admin.headers).json()["monthly_budget"] is None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "monthly_budget", "Field required"),
        ({"monthly_budget": "-1"}, "monthly_budget", "greater than or equal to 0"),
        ({"monthly_budget": "1.005"}, "monthly_budget", "2 decimal places"),
        ({"monthly_budget": "abc"}, "monthly_budget", "valid decimal"),
        ({"monthly_budget": "2000000"}, "monthly_budget", "less than or equal to 1000000"),
        ({"monthly_budget": 1, "currency": "EUR"}, "currency", "'USD'"),
        (
            {
                "monthly_budget": 1,
                "role_limits": [{"role": "operator", "daily_money_cap": 1, "daily_video_cap": 1}],
            },
            "role",
            "'student'",
        ),
        (
            {
                "monthly_budget": 1,
                "role_limits": [{"role": "student", "daily_money_cap": 1, "daily_video_cap": -1}],
            },
            "daily_video_cap",
            "greater than or equal to 0",
        ),
        (
            {
                "monthly_budget": 1,
                "role_limits": [
                    {
                        "role": "student",
                        "daily_money_cap": 1,
                        "daily_video_cap": 1,
                        "allowed_models": ["fal-ai/nope"],
                    }
                ],
            },
            "allowed_models",
            "Unknown model(s) fal-ai/nope",
        ),
        (
            {
                "monthly_budget": 1,
                "role_limits": [
                    {
                        "role": "student",
                        "daily_money_cap": 1,
                        "daily_video_cap": 1,
                        "allowed_models": [],
                    }
                ],
            },
            "allowed_models",
            "at least one model",
        ),
        ({"monthly_budget": 1, "spent": 0}, "spent", "Extra inputs are not permitted"),
    ],
)
def test_bad_school_budgets_are_422_naming_the_field(
    admin_api: TestClient, make_user, db, body, field, words
) -> None:
    admin = make_user(role="admin")
    error = error_of(admin_api.put("/school/budget", json=body, headers=admin.headers), 422)
    assert error["code"] == "validation_error"
    assert named(error, field, words), error
    assert activity(db, DEFAULT_SCHOOL) == []


def test_school_budget_routes_are_the_schools_admins(
    admin_api: TestClient, make_user, db, school_b: School
) -> None:
    for user, code in ((make_user(), "admin_only"), (make_user(role="teacher"), "admin_only")):
        for method, path in (
            ("GET", "/school/budget"),
            ("PUT", "/school/budget"),
            ("GET", "/school/budget/status"),
        ):
            response = admin_api.request(
                method, path, json={"monthly_budget": 1}, headers=user.headers
            )
            error = error_of(response, 403)
            assert (error["code"], error["message"]) == (code, "This needs a school admin account.")
    admin_a = make_user(role="admin")
    for method, path in (
        ("GET", "/school/budget"),
        ("PUT", "/school/budget"),
        ("GET", "/school/budget/status"),
    ):
        response = admin_api.request(
            method,
            f"{path}?school_id={school_b.id}",
            json={"monthly_budget": 1},
            headers=admin_a.headers,
        )
        assert error_of(response, 404)["code"] == "school_not_found"
    assert db.execute(
        "select monthly_budget from public.schools where id = %s", (school_b.id,)
    ).fetchone() == (None,)
    # an operator names the school
    operator = make_user(role="operator", school=None)
    put = admin_api.put(
        f"/school/budget?school_id={school_b.id}",
        json={"monthly_budget": 9},
        headers=operator.headers,
    )
    assert put.status_code == 200 and put.json()["school_id"] == str(school_b.id)
    assert activity(db, school_b.id)[0][2] == {"monthly_budget": {"from": None, "to": "9"}}
    for path in ("/school/budget", "/school/budget/status"):
        nowhere = admin_api.get(
            f"{path}?school_id=00000000-0000-0000-0000-00000000dead", headers=operator.headers
        )
        assert (error_of(nowhere, 404)["code"], error_of(nowhere, 404)["message"]) == (
            "school_not_found",
            "No such school.",
        )
    unnamed = admin_api.get("/school/budget", headers=operator.headers)
    assert error_of(unnamed, 422)["code"] == "school_required"


def test_status_shows_used_reserved_remaining_level_and_reset(
    admin_api: TestClient, make_user, db, generations: TestClient, fal: FakeFal
) -> None:
    admin = make_user(role="admin")
    empty = admin_api.get("/school/budget/status", headers=admin.headers).json()
    assert (empty["monthly_budget"], empty["used"], empty["remaining"], empty["level"]) == (
        None,
        "0",
        None,
        0,
    )
    admin_api.put("/school/budget", json={"monthly_budget": "0.05"}, headers=admin.headers)
    db.execute(
        "update public.schools set time_zone = 'Pacific/Auckland' where id = %s", (DEFAULT_SCHOOL,)
    )
    student = make_user()
    for _ in range(2):
        assert submit(generations, student).status_code == 201
    status = admin_api.get("/school/budget/status", headers=admin.headers).json()
    assert (status["reserved"], status["settled"], status["used"]) == ("0.04", "0", "0.04")
    assert (status["remaining"], status["used_percent"], status["level"]) == ("0.01", "80", 80)
    assert status["time_zone"] == "Pacific/Auckland"
    period, resets = db.execute(
        "select period, resets_at from public.budget_period('school_month', 'Pacific/Auckland',"
        " now())"
    ).fetchone()
    assert status["period"] == period
    assert status["resets_at"].replace("Z", "+00:00") == resets.isoformat()
    assert submit(generations, student).status_code == 429  # 0.01 left: no room for 0.02
    admin_api.put("/school/budget", json={"monthly_budget": "0.04"}, headers=admin.headers)
    full = admin_api.get("/school/budget/status", headers=admin.headers).json()
    assert (full["remaining"], full["used_percent"], full["level"]) == ("0", "100", 100)


# --- a class's cap, model override and spend ---------------------------------------------------


def test_teacher_sets_the_class_cap_and_models_and_reads_its_spend(
    admin_api: TestClient, make_user, db, generations: TestClient, fal: FakeFal
) -> None:
    teacher, student = make_user(role="teacher"), make_user()
    klass = make_class(db, DEFAULT_SCHOOL, teachers=(teacher,), students=(student,))
    put = admin_api.put(
        f"/classes/{klass}/budget",
        json={"monthly_cap": "0.03", "allowed_models": [LTX]},
        headers=teacher.headers,
    )
    assert put.status_code == 200, put.text
    assert (put.json()["monthly_cap"], put.json()["allowed_models"]) == ("0.03", [LTX])
    assert submit(generations, student, class_id=str(klass)).status_code == 201
    refused = submit(generations, student, class_id=str(klass))
    error = error_of(refused, 429)
    assert (error["code"], error["details"]["scope"], error["details"]["remaining"]) == (
        "budget_exceeded",
        "class_month",
        "0.01",
    )
    spend = admin_api.get(f"/classes/{klass}/spend", headers=teacher.headers).json()
    assert (spend["reserved"], spend["settled"], spend["used"], spend["remaining"]) == (
        "0.02",
        "0",
        "0.02",
        "0.01",
    )
    assert (
        spend["period"]
        == db.execute(
            "select period from public.budget_period('class_month', 'UTC', now())"
        ).fetchone()[0]
    )
    assert activity(db, DEFAULT_SCHOOL) == [
        (
            "class.budget",
            klass,
            {
                "monthly_cap": {"from": None, "to": "0.03"},
                "allowed_models": {"from": None, "to": [LTX]},
            },
        )
    ]
    # the school's admin may too; null lifts both
    admin = make_user(role="admin")
    lifted = admin_api.put(
        f"/classes/{klass}/budget",
        json={"monthly_cap": None, "allowed_models": None},
        headers=admin.headers,
    )
    assert lifted.status_code == 200 and lifted.json()["remaining"] is None
    assert submit(generations, student, class_id=str(klass)).status_code == 201


def test_class_budget_reach_and_errors(
    admin_api: TestClient, make_user, db, school_b: School
) -> None:
    teacher, other_teacher, student = (
        make_user(role="teacher"),
        make_user(role="teacher"),
        make_user(),
    )
    klass = make_class(db, DEFAULT_SCHOOL, teachers=(teacher,), students=(student,))
    class_b = make_class(db, school_b.id, teachers=(school_b.teacher,))
    body = {"monthly_cap": "5", "allowed_models": None}
    for method, path in (("PUT", f"/classes/{klass}/budget"), ("GET", f"/classes/{klass}/spend")):
        error = error_of(admin_api.request(method, path, json=body, headers=student.headers), 403)
        assert (error["code"], error["message"]) == (
            "teacher_only",
            "This needs a teacher account.",
        )
        # a teacher who does not teach it, another school's admin: not found
        for outsider in (other_teacher, school_b.admin):
            error = error_of(
                admin_api.request(method, path, json=body, headers=outsider.headers), 404
            )
            assert (error["code"], error["message"]) == ("class_not_found", "No such class.")
    for method, path in (
        ("PUT", f"/classes/{class_b}/budget"),
        ("GET", f"/classes/{class_b}/spend"),
    ):
        error = error_of(admin_api.request(method, path, json=body, headers=teacher.headers), 404)
        assert error["code"] == "class_not_found"
    for bad, field, words in (
        ({"monthly_cap": "-0.01"}, "monthly_cap", "greater than or equal to 0"),
        ({"monthly_cap": "0.001"}, "monthly_cap", "2 decimal places"),
        ({"allowed_models": [LTX]}, "monthly_cap", "Field required"),
        ({"monthly_cap": 1, "allowed_models": ["x"]}, "allowed_models", "Unknown model(s) x"),
    ):
        error = error_of(
            admin_api.put(f"/classes/{klass}/budget", json=bad, headers=teacher.headers), 422
        )
        assert error["code"] == "validation_error"
        assert named(error, field, words), error
    assert db.execute(
        "select count(*) from public.classes where monthly_cap is not null"
    ).fetchone() == (0,)
    assert activity(db, DEFAULT_SCHOOL) == [] and activity(db, school_b.id) == []


# --- allowed models: the school's, narrowed by the role's or the class's ------------------------


def test_role_and_class_models_are_enforced_at_submission(
    admin_api: TestClient, make_user, db, generations: TestClient, fal: FakeFal
) -> None:
    admin, teacher, student = make_user(role="admin"), make_user(role="teacher"), make_user()
    klass = make_class(db, DEFAULT_SCHOOL, teachers=(teacher,), students=(student,))
    admin_api.put(
        "/school/budget",
        json={
            "monthly_budget": None,
            "role_limits": [
                {
                    "role": "student",
                    "daily_money_cap": None,
                    "daily_video_cap": 5,
                    "allowed_models": [LTX],
                },
            ],
        },
        headers=admin.headers,
    )
    error = error_of(submit(generations, student, OTHER), 403)
    assert error == {
        "code": "model_not_allowed",
        "message": f"The model {OTHER} is not allowed by your school's settings for your role;"
        f" pick one of: {LTX}.",
        "details": {"model": OTHER, "setting": "role", "allowed": [LTX]},
    }
    assert submit(generations, teacher, OTHER).status_code == 201  # teachers: no narrowing
    # the class's override replaces the role's for jobs filed under the class
    admin_api.put(
        f"/classes/{klass}/budget",
        json={"monthly_cap": None, "allowed_models": [OTHER]},
        headers=teacher.headers,
    )
    assert submit(generations, student, OTHER, class_id=str(klass)).status_code == 201
    error = error_of(submit(generations, student, LTX, class_id=str(klass)), 403)
    assert (error["details"]["setting"], error["message"]) == (
        "class",
        f"The model {LTX} is not allowed by your class; pick one of: {OTHER}.",
    )
    # the school's own list bounds them all
    db.execute(
        "update public.schools set allowed_models = %s where id = %s", ([LTX], DEFAULT_SCHOOL)
    )
    error = error_of(submit(generations, student, OTHER, class_id=str(klass)), 403)
    assert error["details"] == {"model": OTHER, "setting": "school", "allowed": [LTX]}
    assert db.execute("select count(*) from public.jobs where model = %s", (OTHER,)).fetchone() == (
        2,
    )
