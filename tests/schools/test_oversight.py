"""Teacher oversight of a class: its roster and every video of its students, for the class's
teacher and the school's admin; any other class is not found."""

from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_job, make_school


@pytest.fixture
def admin_app(fal) -> TestClient:
    return TestClient(load_handler("admin").app)


@pytest.fixture
def klass(db, make_user):
    school, other_school = make_school(db), make_school(db, "B")
    teacher, other_teacher, admin, other_admin = (
        make_user("teacher"),
        make_user("teacher"),
        make_user("admin"),
        make_user("admin"),
    )
    ada, bob, outsider = make_user(email="ada@school.example"), make_user(), make_user()
    class_id = make_class(db, school, teachers=(teacher,), students=(ada, bob))
    make_class(db, school, "8C", teachers=(other_teacher,), students=(outsider,))
    make_class(db, school, "Staff", teachers=(admin,))
    make_class(db, other_school, "B1", teachers=(other_admin,))
    db.execute("update public.profiles set display_name = 'Ada' where id = %s", (ada.id,))
    jobs = [make_job(db, ada, school, prompt=f"ada {i}") for i in range(3)]
    jobs.append(make_job(db, bob, school, prompt="bob", status="failed", with_video=False))
    make_job(db, outsider, school, prompt="not this class")
    return locals()


def test_the_roster_lists_students_with_their_video_counts(admin_app, klass) -> None:
    for user in (klass["teacher"], klass["admin"]):
        response = admin_app.get(f"/classes/{klass['class_id']}/roster", headers=user.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "7B Science"
        counts = {s["email"]: s["video_count"] for s in body["students"]}
        assert counts == {"ada@school.example": 3, klass["bob"].email: 1}
        assert body["students"][0]["display_name"] == "Ada"
        assert all(s["joined_at"] for s in body["students"])


def test_the_class_videos_are_its_students_newest_first(admin_app, klass, db) -> None:
    teacher = klass["teacher"]
    hidden = klass["jobs"][0]
    db.execute(
        "update public.jobs set hidden_at = now(), hidden_reason = 'no' where id = %s", (hidden,)
    )
    url = f"/classes/{klass['class_id']}/videos"
    first = admin_app.get(url, params={"limit": 3}, headers=teacher.headers).json()
    assert [v["prompt"] for v in first["items"]] == ["bob", "ada 2", "ada 1"]
    assert first["items"][0]["student_name"] == "Test" and first["items"][0]["video"] is None
    assert first["items"][1]["video"]["url"] and first["items"][1]["cost_estimate_usd"] == 0.02
    rest = admin_app.get(
        url, params={"cursor": first["next_cursor"]}, headers=teacher.headers
    ).json()
    (last,) = rest["items"]
    assert last["prompt"] == "ada 0" and last["hidden"] is True and last["video"] is None
    assert last["hidden_reason"] == "no" and rest["next_cursor"] is None


@pytest.mark.parametrize("who", ["other_teacher", "other_admin"])
def test_another_class_or_school_is_not_found(admin_app, klass, who) -> None:
    user = klass[who]
    for path in ("roster", "videos"):
        for class_id in (klass["class_id"], uuid4()):
            response = admin_app.get(f"/classes/{class_id}/{path}", headers=user.headers)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "class_not_found"


def test_students_may_not_oversee(admin_app, klass) -> None:
    response = admin_app.get(f"/classes/{klass['class_id']}/roster", headers=klass["ada"].headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "teacher_only"


def test_a_bad_cursor_is_refused(admin_app, klass) -> None:
    response = admin_app.get(
        f"/classes/{klass['class_id']}/videos",
        params={"cursor": "garbage"},
        headers=klass["teacher"].headers,
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
