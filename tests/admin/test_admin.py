"""Admin routes: jobs and users across accounts, role and cap changes; admins only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def test_non_admins_get_403(admin_api: TestClient, make_user) -> None:
    for role in ("student", "teacher"):
        user = make_user(role=role)
        for method, path in [
            ("GET", "/admin/jobs"),
            ("GET", "/admin/users"),
            ("PATCH", f"/admin/users/{user.id}"),
        ]:
            response = admin_api.request(method, path, headers=user.headers, json={"role": "admin"})
            assert error_code(response, 403) == "admin_only"
    assert error_code(admin_api.get("/admin/users"), 401) == "missing_token"


def test_admin_sees_every_users_jobs(admin_api: TestClient, fal: FakeFal, make_user) -> None:
    generations = TestClient(load_handler("generations").app)
    ada, bob, admin = make_user(), make_user(), make_user(role="admin")
    for user in (ada, bob, bob):
        generations.post(
            "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=user.headers
        )
    jobs = admin_api.get("/admin/jobs", headers=admin.headers).json()["items"]
    assert len(jobs) == 3
    bobs = admin_api.get(f"/admin/jobs?user_id={bob.id}", headers=admin.headers).json()["items"]
    assert len(bobs) == 2


def test_admin_lists_users_with_usage_and_changes_role_and_caps(
    admin_api: TestClient, make_user
) -> None:
    admin = make_user(role="admin", email="head@school.example")
    ada = make_user(email="ada@school.example")
    page = admin_api.get("/admin/users?q=ADA", headers=admin.headers).json()
    assert page["total"] == 1
    assert page["items"][0]["email"] == "ada@school.example"
    listed = page["items"][0]
    assert listed["daily_video_cap"] == 5 and listed["video_cap_override"] is None
    assert listed["daily_money_cap"] is None and listed["money_cap_override"] is None
    assert listed["used_today"] == 0 and listed["spent_today"] == "0"

    teacher = admin_api.patch(
        f"/admin/users/{ada.id}", json={"role": "teacher"}, headers=admin.headers
    )
    assert teacher.json()["role"] == "teacher" and teacher.json()["daily_video_cap"] == 20
    custom = admin_api.patch(
        f"/admin/users/{ada.id}",
        json={"video_cap_override": 50, "money_cap_override": "2.5"},
        headers=admin.headers,
    ).json()
    assert custom["daily_video_cap"] == 50 and custom["video_cap_override"] == 50
    assert custom["daily_money_cap"] == "2.5" and custom["money_cap_override"] == "2.5"
    reset = admin_api.patch(
        f"/admin/users/{ada.id}",
        json={"video_cap_override": None, "money_cap_override": None},
        headers=admin.headers,
    ).json()
    assert reset["daily_video_cap"] == 20 and reset["video_cap_override"] is None
    assert reset["daily_money_cap"] is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),
        ({"role": "superuser"}, 422, "validation_error"),
        ({"role": None}, 422, "validation_error"),
        ({"video_cap_override": -1}, 422, "validation_error"),
        ({"money_cap_override": "-1"}, 422, "validation_error"),
        ({"money_cap_override": "0.001"}, 422, "validation_error"),
        ({"daily_quota": 3}, 422, "validation_error"),
        ({"email": "x@y.z"}, 422, "validation_error"),
    ],
)
def test_bad_updates(admin_api: TestClient, make_user, body, status, code) -> None:
    admin, ada = make_user(role="admin"), make_user()
    response = admin_api.patch(f"/admin/users/{ada.id}", json=body, headers=admin.headers)
    assert error_code(response, status) == code


def test_unknown_user_and_self_demotion(admin_api: TestClient, make_user) -> None:
    admin = make_user(role="admin")
    missing = admin_api.patch(
        "/admin/users/00000000-0000-0000-0000-000000000000",
        json={"video_cap_override": 3},
        headers=admin.headers,
    )
    assert error_code(missing, 404) == "user_not_found"
    demote = admin_api.patch(
        f"/admin/users/{admin.id}", json={"role": "student"}, headers=admin.headers
    )
    assert error_code(demote, 409) == "cannot_demote_self"


def test_out_of_range_paging_is_422_not_500(admin_api: TestClient, make_user) -> None:
    """Found by Schemathesis: an offset past bigint reached Postgres and failed there."""
    admin = make_user(role="admin")
    response = admin_api.get(f"/admin/users?offset={2**63}", headers=admin.headers)
    assert error_code(response, 422) == "validation_error"
    assert response.json()["error"]["details"]["fields"][0]["field"] == "offset"


def test_nul_character_in_search_is_422_not_500(admin_api: TestClient, make_user) -> None:
    """Found by Schemathesis: Postgres refuses NUL in text; that is the client's error."""
    admin = make_user(role="admin")
    response = admin_api.get("/admin/users?q=%00", headers=admin.headers)
    assert error_code(response, 422) == "invalid_data"


def test_admin_cursor_with_a_number_in_place_of_the_id_is_422_not_500(
    admin_api: TestClient, make_user
) -> None:
    """Found by the issue-13 review: `["2020-01-01", 1]` raised AttributeError (a 500)."""
    import base64

    cursor = base64.urlsafe_b64encode(b'["2020-01-01", 1]').decode().rstrip("=")
    admin = make_user(role="admin")
    response = admin_api.get(f"/admin/jobs?cursor={cursor}", headers=admin.headers)
    assert error_code(response, 422) == "validation_error"
    assert response.json()["error"]["details"]["fields"][0]["field"] == "cursor"
