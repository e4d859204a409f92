"""A teacher (or the school admin) hides a student's video with a reason: the student sees
the job marked hidden, with the reason and no video; every hide and unhide is logged."""

from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_job, make_school


@pytest.fixture
def client(fal) -> TestClient:
    return TestClient(load_handler("generations").app)


@pytest.fixture
def setting(db, make_user):
    """School A: class 1 (teacher, student), class 2 (other teacher); school B's admin."""
    school, other_school = make_school(db), make_school(db, "Other school")
    teacher, other_teacher, student = make_user("teacher"), make_user("teacher"), make_user()
    admin, other_admin = make_user("admin"), make_user("admin")
    make_class(db, school, teachers=(teacher,), students=(student,))
    make_class(db, school, "8C Art", teachers=(other_teacher,))
    make_class(db, school, "Staff", teachers=(admin,))
    make_class(db, other_school, "B", teachers=(other_admin,))
    job = make_job(db, student, school)
    return {
        "school": school,
        "teacher": teacher,
        "other_teacher": other_teacher,
        "student": student,
        "admin": admin,
        "other_admin": other_admin,
        "job": job,
    }


def hide(client, user, job, reason="Not suitable for the class display"):
    return client.post(f"/generations/{job}/hide", json={"reason": reason}, headers=user.headers)


def activity(db) -> list[tuple]:
    return db.execute(
        "select school_id, actor_id, action, subject_type, subject_id, details"
        " from public.school_activity order by id"
    ).fetchall()


def test_hidden_video_loses_its_url_and_shows_the_reason(client, setting, db) -> None:
    student, job = setting["student"], setting["job"]
    before = client.get(f"/generations/{job}", headers=student.headers).json()
    assert before["video"]["url"] and before["hidden"] is False

    response = hide(client, setting["teacher"], job, "  Please redo without the logo  ")
    assert response.status_code == 200, response.text
    assert response.json()["hidden"] is True and response.json()["video"] is None

    seen = client.get(f"/generations/{job}", headers=student.headers).json()
    assert seen["hidden"] is True and seen["video"] is None
    assert seen["hidden_reason"] == "Please redo without the logo"
    (listed,) = client.get("/generations", headers=student.headers).json()["items"]
    assert listed["hidden"] is True and listed["video"] is None
    assert activity(db) == [
        (
            setting["school"],
            setting["teacher"].id,
            "video.hide",
            "job",
            job,
            {"student_id": str(student.id), "reason": "Please redo without the logo"},
        )
    ]


def test_unhide_gives_the_video_back(client, setting, db) -> None:
    student, job = setting["student"], setting["job"]
    assert hide(client, setting["admin"], job).status_code == 200
    response = client.post(f"/generations/{job}/unhide", headers=setting["teacher"].headers)
    assert response.status_code == 200, response.text
    seen = client.get(f"/generations/{job}", headers=student.headers).json()
    assert seen["hidden"] is False and seen["hidden_reason"] is None and seen["video"]["url"]
    assert [row[2] for row in activity(db)] == ["video.hide", "video.unhide"]
    assert [row[1] for row in activity(db)] == [setting["admin"].id, setting["teacher"].id]


@pytest.mark.parametrize("who", ["other_teacher", "other_admin"])
def test_a_job_out_of_reach_is_not_found(client, setting, db, who: str) -> None:
    user = setting[who]
    for response in (
        hide(client, user, setting["job"]),
        client.post(f"/generations/{setting['job']}/unhide", headers=user.headers),
        hide(client, user, uuid4()),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "generation_not_found"
    assert activity(db) == []


def test_a_teacher_cannot_hide_a_teachers_own_video(client, setting, db) -> None:
    own = make_job(db, setting["teacher"], setting["school"])
    assert hide(client, setting["teacher"], own).status_code == 404


def test_a_student_may_not_hide(client, setting) -> None:
    response = hide(client, setting["student"], setting["job"])
    assert response.status_code == 403 and response.json()["error"]["code"] == "teacher_only"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": "ok", "hidden_by": "me"},
    ],
)
def test_a_hide_needs_a_reason_of_1_to_500_characters(client, setting, body) -> None:
    response = client.post(
        f"/generations/{setting['job']}/hide", json=body, headers=setting["teacher"].headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_hiding_twice_or_unhiding_a_shown_video_is_a_conflict(client, setting) -> None:
    teacher, job = setting["teacher"], setting["job"]
    unhide = client.post(f"/generations/{job}/unhide", headers=teacher.headers)
    assert unhide.status_code == 409 and unhide.json()["error"]["code"] == "video_not_hidden"
    assert hide(client, teacher, job).status_code == 200
    again = hide(client, teacher, job)
    assert again.status_code == 409 and again.json()["error"]["code"] == "video_already_hidden"
