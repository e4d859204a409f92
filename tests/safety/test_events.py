"""Safety events for the people responsible: a teacher their classes' students', a school
admin their school's, an operator every school's; newest first, cursor-paginated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_school


@pytest.fixture
def admin_app() -> TestClient:
    return TestClient(load_handler("admin").app)


@pytest.fixture
def refused(fal, db, make_user):
    """Students in two classes of school A and one of school B, each refused once (the
    generations function records the events)."""
    generations = TestClient(load_handler("generations").app)
    school_a, school_b = make_school(db), make_school(db, "B")
    teacher, other_teacher, admin_a, admin_b, operator = (
        make_user("teacher"),
        make_user("teacher"),
        make_user("admin"),
        make_user("admin"),
        make_user("operator"),
    )
    mine, theirs, far = make_user(), make_user(), make_user()
    make_class(db, school_a, teachers=(teacher,), students=(mine,))
    make_class(db, school_a, "8C", teachers=(other_teacher,), students=(theirs,))
    make_class(db, school_b, "B1", teachers=(admin_b,), students=(far,))
    make_class(db, school_a, "Staff", teachers=(admin_a,))
    for student, prompt in ((mine, "a pistol"), (theirs, "cocaine"), (far, "a nude")):
        response = generations.post(
            "/generations",
            json={"model": "fal-ai/ltx-video", "prompt": prompt},
            headers=student.headers,
        )
        assert response.status_code == 422
    return locals()


def prompts(admin_app: TestClient, user, **query) -> list[str]:
    response = admin_app.get("/safety/events", params=query, headers=user.headers)
    assert response.status_code == 200, response.text
    return [e["prompt"] for e in response.json()["items"]]


def test_each_sees_the_events_in_their_reach(admin_app, refused) -> None:
    r = refused
    assert prompts(admin_app, r["teacher"]) == ["a pistol"]
    assert prompts(admin_app, r["other_teacher"]) == ["cocaine"]
    assert prompts(admin_app, r["admin_a"]) == ["cocaine", "a pistol"]
    assert prompts(admin_app, r["admin_b"]) == ["a nude"]
    assert prompts(admin_app, r["operator"]) == ["a nude", "cocaine", "a pistol"]


def test_an_event_says_who_what_and_which_rule(admin_app, refused) -> None:
    (event,) = admin_app.get("/safety/events", headers=refused["teacher"].headers).json()["items"]
    assert event["user_id"] == str(refused["mine"].id)
    assert event["email"] == refused["mine"].email and event["display_name"] == "Test"
    assert event["rule"] == "builtin:violence" and event["model"] == "fal-ai/ltx-video"


def test_events_page_with_a_cursor(admin_app, refused) -> None:
    operator = refused["operator"]
    first = admin_app.get("/safety/events?limit=2", headers=operator.headers).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = admin_app.get(
        "/safety/events",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=operator.headers,
    ).json()
    assert [e["prompt"] for e in second["items"]] == ["a pistol"] and second["next_cursor"] is None


def test_the_badge_counts_since_a_moment(admin_app, refused) -> None:
    admin = refused["admin_a"]
    count = admin_app.get("/safety/events/count", headers=admin.headers).json()
    assert count["count"] == 2
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (
        admin_app.get(
            "/safety/events/count", params={"since": later}, headers=admin.headers
        ).json()["count"]
        == 0
    )
    assert (
        admin_app.get("/safety/events/count", headers=refused["other_teacher"].headers).json()[
            "count"
        ]
        == 1
    )


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/safety/events", {"cursor": "bm90IGEgY3Vyc29y"}, 422, "validation_error"),
        ("/safety/events", {"cursor": "WzEsMl0"}, 422, "validation_error"),
        ("/safety/events", {"limit": 0}, 422, "validation_error"),
        ("/safety/events/count", {"since": "yesterday"}, 422, "validation_error"),
    ],
)
def test_bad_queries_are_refused(admin_app, refused, path, params, status, code) -> None:
    response = admin_app.get(path, params=params, headers=refused["admin_a"].headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_students_and_the_schoolless_are_refused(admin_app, refused, make_user) -> None:
    for user, code in (
        (refused["mine"], "teacher_only"),
        (make_user("teacher", school=None), "no_school"),
    ):
        response = admin_app.get("/safety/events", headers=user.headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == code
