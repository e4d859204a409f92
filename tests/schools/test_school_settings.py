"""Schools (issue 15): operators list and create them; a school's admin reads and changes
its settings and reads its activity log, each change logged; another school's admin finds
none of it (404). Through the admin function's app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.schools import DEFAULT_SCHOOL, School
from tests.support.schools import error as error_of
from videogen.generations.catalog import MODELS

MODEL = next(iter(MODELS))


# --- operators: schools ---------------------------------------------------------------------


def test_operator_creates_and_lists_schools_and_the_creation_is_logged(
    admin_api: TestClient, make_user, db
) -> None:
    operator = make_user(role="operator")
    created = admin_api.post(
        "/admin/schools",
        json={"name": "  Riverside High  ", "time_zone": "Europe/Berlin"},
        headers=operator.headers,
    )
    assert created.status_code == 201, created.text
    school = created.json()
    assert school["name"] == "Riverside High" and school["time_zone"] == "Europe/Berlin"
    assert school["retention_days"] == 90 and school["allowed_models"] is None
    listed = admin_api.get("/admin/schools", headers=operator.headers).json()["items"]
    assert {s["name"] for s in listed} >= {"Riverside High", "Default school"}
    assert db.execute(
        "select action, actor_id, details from public.school_activity where school_id = %s",
        (school["id"],),
    ).fetchall() == [
        ("school.create", operator.id, {"name": "Riverside High", "time_zone": "Europe/Berlin"})
    ]
    utc = admin_api.post("/admin/schools", json={"name": "Hill"}, headers=operator.headers)
    assert utc.json()["time_zone"] == "UTC"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "time_zone": "Mars/Olympus"},
        {"name": "X", "time_zone": "../../etc/passwd"},
        {"name": "X", "time_zone": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {},
        {"name": "X", "retention_days": 5},
    ],
)
def test_bad_schools_are_refused(admin_api: TestClient, make_user, body: dict) -> None:
    operator = make_user(role="operator")
    response = admin_api.post("/admin/schools", json=body, headers=operator.headers)
    assert error_of(response, 422)["code"] == "validation_error"


def test_schools_are_the_operators(admin_api: TestClient, make_user) -> None:
    for user, code in ((make_user(role="admin"), "operator_only"), (make_user(), "operator_only")):
        for method in ("GET", "POST"):
            response = admin_api.request(
                method, "/admin/schools", json={"name": "X"}, headers=user.headers
            )
            assert error_of(response, 403)["code"] == code


# --- a school's admin: settings -------------------------------------------------------------


def test_admin_reads_and_changes_the_settings_each_change_logged(
    admin_api: TestClient, make_user, db
) -> None:
    admin = make_user(role="admin")
    school = admin_api.get("/school", headers=admin.headers).json()
    assert school["id"] == str(DEFAULT_SCHOOL) and school["name"] == "Default school"

    changed = admin_api.patch(
        "/school",
        json={
            "name": "Hillside Primary",
            "time_zone": "America/New_York",
            "retention_days": 30,
            "email_domains": ["hillside.example", " pupils.hillside.example ", "hillside.example"],
            "blocklist_terms": ["  Dragon ", "dragon", "DRAGON", "storm cloud"],
            "allowed_models": [MODEL, MODEL],
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["email_domains"] == ["hillside.example", "pupils.hillside.example"]
    assert body["blocklist_terms"] == ["Dragon", "storm cloud"]  # trimmed, first spelling kept
    assert body["allowed_models"] == [MODEL]
    assert body["retention_days"] == 30 and body["time_zone"] == "America/New_York"
    assert admin_api.get("/school", headers=admin.headers).json() == body

    # only what differs is written and logged; null allows every model again
    again = admin_api.patch(
        "/school", json={"retention_days": 30, "allowed_models": None}, headers=admin.headers
    )
    assert again.json()["allowed_models"] is None
    unchanged = admin_api.patch("/school", json={"retention_days": 30}, headers=admin.headers)
    assert unchanged.status_code == 200
    log = db.execute(
        """select action, actor_id, details from public.school_activity
           where school_id = %s and action = 'school.update' order by id""",
        (DEFAULT_SCHOOL,),
    ).fetchall()
    assert len(log) == 2
    first = log[0][2]
    assert set(first) == {
        "name",
        "time_zone",
        "retention_days",
        "email_domains",
        "blocklist_terms",
        "allowed_models",
    }
    assert first["retention_days"] == {"from": 90, "to": 30}
    assert first["name"] == {"from": "Default school", "to": "Hillside Primary"}
    assert log[1] == ("school.update", admin.id, {"allowed_models": {"from": [MODEL], "to": None}})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 3651}, "retention_days"),
        ({"retention_days": None}, "retention_days"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"time_zone": "Nowhere/Town"}, "time_zone"),
        ({"email_domains": ["School.Example"]}, "email_domains"),
        ({"email_domains": ["ada@school.example"]}, "email_domains"),
        ({"email_domains": ["localhost"]}, "email_domains"),
        ({"email_domains": ["-bad.example"]}, "email_domains"),
        ({"email_domains": [f"d{i}.example" for i in range(21)]}, "email_domains"),
        ({"email_domains": None}, "email_domains"),
        ({"blocklist_terms": ["   "]}, "blocklist_terms"),
        ({"blocklist_terms": ["x" * 101]}, "blocklist_terms"),
        ({"blocklist_terms": [f"t{i}" for i in range(201)]}, "blocklist_terms"),
        ({"allowed_models": ["no-such/model"]}, "allowed_models"),
        ({"allowed_models": []}, "allowed_models"),
        ({"school_id": str(DEFAULT_SCHOOL)}, "school_id"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    admin_api: TestClient, make_user, db, body: dict, field: str
) -> None:
    admin = make_user(role="admin")
    error = error_of(admin_api.patch("/school", json=body, headers=admin.headers), 422)
    assert error["code"] == "validation_error"
    assert field in {f["field"].split(".")[0] for f in error["details"]["fields"]}, error
    assert db.execute(
        "select count(*) from public.school_activity where action = 'school.update'"
    ).fetchone() == (0,)


def test_teachers_and_students_cannot_read_or_change_settings(
    admin_api: TestClient, make_user
) -> None:
    for role in ("teacher", "student"):
        user = make_user(role=role)
        for method, path in (("GET", "/school"), ("PATCH", "/school"), ("GET", "/school/activity")):
            response = admin_api.request(method, path, json={"name": "Mine"}, headers=user.headers)
            assert error_of(response, 403)["code"] == "admin_only"


# --- scoping: another school's admin, operators ---------------------------------------------


def test_another_schools_admin_finds_nothing_of_the_school(
    admin_api: TestClient, make_user, school_b: School, db
) -> None:
    admin_a = make_user(role="admin")
    admin_api.patch("/school", json={"retention_days": 7}, headers=admin_a.headers)
    a = f"?school_id={DEFAULT_SCHOOL}"
    for method, path in (("GET", "/school"), ("PATCH", "/school"), ("GET", "/school/activity")):
        response = admin_api.request(
            method, path + a, json={"retention_days": 1}, headers=school_b.admin.headers
        )
        assert error_of(response, 404)["code"] == "school_not_found", path
    assert db.execute(
        "select retention_days from public.schools where id = %s", (DEFAULT_SCHOOL,)
    ).fetchone() == (7,)
    own = admin_api.get("/school", headers=school_b.admin.headers).json()
    assert own["name"] == "School B" and own["retention_days"] == 90
    assert admin_api.get("/school/activity", headers=school_b.admin.headers).json()["items"] == []
    # the school's own id is accepted from its admin
    named = admin_api.get(f"/school?school_id={school_b.id}", headers=school_b.admin.headers)
    assert named.json()["id"] == str(school_b.id)


def test_operator_names_the_school(admin_api: TestClient, make_user, school_b: School) -> None:
    operator = make_user(role="operator")
    error = error_of(admin_api.get("/school", headers=operator.headers), 422)
    assert error["code"] == "school_required"
    changed = admin_api.patch(
        f"/school?school_id={school_b.id}", json={"retention_days": 10}, headers=operator.headers
    )
    assert changed.status_code == 200 and changed.json()["retention_days"] == 10
    log = admin_api.get(
        f"/school/activity?school_id={school_b.id}", headers=operator.headers
    ).json()
    assert [e["action"] for e in log["items"]] == ["school.update"]
    assert log["items"][0]["actor_email"] == operator.email
    unknown = admin_api.get(
        "/school?school_id=00000000-0000-0000-0000-00000000abcd", headers=operator.headers
    )
    assert error_of(unknown, 404)["code"] == "school_not_found"


# --- the activity log -----------------------------------------------------------------------


def test_activity_is_newest_first_and_pages_with_a_cursor(admin_api: TestClient, make_user) -> None:
    admin = make_user(role="admin")
    for days in (1, 2, 3):
        admin_api.patch("/school", json={"retention_days": days}, headers=admin.headers)
    first = admin_api.get("/school/activity?limit=2", headers=admin.headers).json()
    assert [e["details"]["retention_days"]["to"] for e in first["items"]] == [3, 2]
    assert first["items"][0]["actor_id"] == str(admin.id)
    second = admin_api.get(
        f"/school/activity?limit=2&cursor={first['next_cursor']}", headers=admin.headers
    ).json()
    assert [e["details"]["retention_days"]["to"] for e in second["items"]] == [1]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "WyIyMDIwLTAxLTAxIiwgImEiXQ", "WyIyMDIwLTAxLTAxIiwgMV0"]
)
def test_bad_activity_cursors_are_422(admin_api: TestClient, make_user, cursor: str) -> None:
    """`["2020-01-01", "a"]` (an id not a number) and `["2020-01-01", 1]` (no offset)."""
    admin = make_user(role="admin")
    error = error_of(admin_api.get(f"/school/activity?cursor={cursor}", headers=admin.headers), 422)
    assert error["code"] == "validation_error"
    assert error["details"]["fields"][0]["field"] == "cursor"
