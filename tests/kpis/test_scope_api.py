"""Per-school and per-class KPI routes (issue 16) through the kpis Lambda handler: operators
every school, a school's admin their school and its classes, a teacher the classes they
teach; another school is not found (404), never shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.apigw import http_api_event, invoke
from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_school
from tests.support.users import User
from videogen.kpis import definitions as kpi

RANGE = "from=2026-11-01&to=2026-11-03"


@pytest.fixture
def client() -> TestClient:
    return TestClient(load_handler("kpis").app)


def put_day(
    db: psycopg.Connection, school: UUID, day: str, klass: UUID | None = None, **values: Any
) -> None:
    """A KPI row as the Spark job writes it (its correctness: test_scopes.py)."""
    table, keys = ("kpi_class_daily", {"class_id": klass}) if klass else ("kpi_school_daily", {})
    columns = {**keys, "school_id": school, "job_date": day, **values}
    db.execute(
        f"insert into public.{table} ({', '.join(columns)}) "
        f"values ({', '.join(['%s'] * len(columns))})",
        list(columns.values()),
    )


@pytest.fixture
def world(db: psycopg.Connection, make_user: Callable[..., User]) -> dict[str, Any]:
    """Two schools. North: an admin, two teachers with a class each. South: an admin, a
    teacher and a class. KPI rows for every school and class on Nov 1-3 2026."""
    north = make_school(db, "North", time_zone="Europe/Paris")
    south = make_school(db, "South")
    users = {
        "operator": make_user(role="operator", email="ops@deploy.example"),
        "north_admin": make_user(role="admin", email="head@north.example", school=north),
        "art_teacher": make_user(role="teacher", email="art@north.example", school=north),
        "maths_teacher": make_user(role="teacher", email="maths@north.example", school=north),
        "north_student": make_user(email="pupil@north.example", school=north),
        "south_admin": make_user(role="admin", email="head@south.example", school=south),
        "south_teacher": make_user(role="teacher", email="drama@south.example", school=south),
    }
    art = make_class(db, north, "Art", teachers=(users["art_teacher"],))
    maths = make_class(db, north, "Maths", teachers=(users["maths_teacher"],))
    drama = make_class(db, south, "Drama", teachers=(users["south_teacher"],))
    put_day(db, north, "2026-11-01", jobs_total=5, jobs_succeeded=3, spend_usd="1.9000")
    put_day(db, north, "2026-11-02", jobs_total=2, active_users=2, blocked_prompts=1)
    put_day(db, south, "2026-11-02", jobs_total=9, spend_usd="12.5000")
    put_day(db, south, "2026-10-01", jobs_total=99)  # outside the range
    put_day(db, north, "2026-11-01", art, jobs_total=4, spend_usd="1.5000", p50_duration_seconds=30)
    put_day(db, north, "2026-11-02", maths, jobs_total=1, blocked_prompts=1)
    put_day(db, south, "2026-11-02", drama, jobs_total=9, spend_usd="12.5000")
    return {**users, "north": north, "south": south, "art": art, "maths": maths, "drama": drama}


def get(client: TestClient, user: User, path: str) -> Any:
    response = client.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def refused(client: TestClient, user: User, path: str, status: int, code: str, message: str):
    response = client.get(path, headers=user.headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (code, message)


def test_operator_reads_every_school_with_its_days(client: TestClient, world) -> None:
    body = get(client, world["operator"], f"/kpis/schools?{RANGE}")
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-03")
    schools = {s["name"]: s for s in body["schools"]}
    assert {"North", "South"} <= set(schools)  # and the default school, with no rows
    north = schools["North"]
    assert north["school_id"] == str(world["north"]) and north["time_zone"] == "Europe/Paris"
    assert [d["job_date"] for d in north["days"]] == ["2026-11-01", "2026-11-02"]
    first = north["days"][0]
    assert set(first) == {"job_date", *kpi.SCOPE_COLUMNS}  # one list of KPIs, everywhere
    assert (first["jobs_total"], first["spend_usd"], first["p50_duration_seconds"]) == (
        5,
        1.9,
        None,
    )
    assert [d["jobs_total"] for d in schools["South"]["days"]] == [9]  # Oct 1 is outside
    assert schools["Default school"]["days"] == []


def test_school_admin_reads_their_school_and_every_class(client: TestClient, world) -> None:
    body = get(client, world["north_admin"], f"/kpis/school?{RANGE}")
    assert body["school"]["name"] == "North"
    assert [d["jobs_total"] for d in body["school"]["days"]] == [5, 2]
    classes = {c["name"]: c for c in body["classes"]}
    assert set(classes) == {"Art", "Maths"}
    assert classes["Art"]["days"][0]["spend_usd"] == 1.5
    assert classes["Art"]["days"][0]["p50_duration_seconds"] == 30
    assert classes["Maths"]["days"][0]["blocked_prompts"] == 1
    assert "budget" not in body  # against budget: GET /school/budget/status (the month)


def test_another_school_is_not_found_for_a_school_admin(client: TestClient, world) -> None:
    path = f"/kpis/school?school_id={world['south']}&{RANGE}"
    refused(client, world["north_admin"], path, 404, "school_not_found", "No such school.")
    # an operator names any school
    body = get(client, world["operator"], path)
    assert body["school"]["name"] == "South" and [c["name"] for c in body["classes"]] == ["Drama"]


def test_an_operator_of_no_school_must_name_one(client: TestClient, world) -> None:
    response = client.get(f"/kpis/school?{RANGE}", headers=world["operator"].headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "school_required"
    assert error["message"] == "Invalid request: school_id."
    assert error["details"]["fields"] == [
        {"field": "school_id", "message": "You belong to no school: name one with ?school_id=."}
    ]


def test_a_teacher_sees_only_the_classes_they_teach(client: TestClient, world) -> None:
    art = get(client, world["art_teacher"], f"/kpis/classes?{RANGE}")["classes"]
    assert [(c["name"], c["school_id"]) for c in art] == [("Art", str(world["north"]))]
    assert [d["jobs_total"] for d in art[0]["days"]] == [4]
    maths = get(client, world["maths_teacher"], f"/kpis/classes?{RANGE}")["classes"]
    assert [c["name"] for c in maths] == ["Maths"]
    drama = get(client, world["south_teacher"], f"/kpis/classes?{RANGE}")["classes"]
    assert [c["name"] for c in drama] == ["Drama"]
    admin = get(client, world["north_admin"], f"/kpis/classes?{RANGE}")["classes"]
    assert [c["name"] for c in admin] == ["Art", "Maths"]


def test_roles_below_the_route_are_refused(client: TestClient, world) -> None:
    operator_only = ("operator_only", "This needs an operator account.")
    admin_only = ("admin_only", "This needs a school admin account.")
    teacher_only = ("teacher_only", "This needs a teacher account.")
    for user, path, (code, message) in (
        (world["north_admin"], "/kpis/schools", operator_only),
        (world["art_teacher"], "/kpis/schools", operator_only),
        (world["art_teacher"], "/kpis/school", admin_only),
        (world["north_student"], "/kpis/school", admin_only),
        (world["north_student"], "/kpis/classes", teacher_only),
    ):
        refused(client, user, f"{path}?{RANGE}", 403, code, message)
    response = TestClient(load_handler("kpis").app).get(f"/kpis/schools?{RANGE}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def today() -> date:
    return datetime.now(UTC).date()


@pytest.mark.parametrize("path", ["/kpis/schools", "/kpis/school", "/kpis/classes"])
@pytest.mark.parametrize(
    ("query", "status", "code", "message"),
    [
        (
            "from=2026-11-05&to=2026-11-01",
            422,
            "invalid_range",
            "'from' (2026-11-05) is after 'to' (2026-11-01).",
        ),
        (
            "from=2024-01-01&to=2026-11-01",
            422,
            "range_too_long",
            "The range covers 1036 days; at most 366 are allowed.",
        ),
        ("from=not-a-day", 422, "validation_error", None),
    ],
)
def test_bad_ranges_are_refused(
    client: TestClient, world, path: str, query: str, status: int, code: str, message: str | None
) -> None:
    user = world["operator"] if path == "/kpis/schools" else world["north_admin"]
    response = client.get(f"{path}?{query}", headers=user.headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    else:
        assert [f["field"] for f in error["details"]["fields"]] == ["from"]


def test_a_day_in_the_future_is_refused(client: TestClient, world) -> None:
    later = (today() + timedelta(days=2)).isoformat()
    response = client.get(f"/kpis/classes?to={later}", headers=world["art_teacher"].headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "date_in_future"
    assert response.json()["error"]["message"].startswith(f"'to' ({later}) is after today")


def test_through_api_gateway_and_mangum(world) -> None:
    handler = load_handler("kpis").handler
    event = http_api_event("GET", "/kpis/school", headers=world["south_admin"].headers, query=RANGE)
    status, _, body = invoke(handler, event)
    assert status == 200, body
    assert body["school"]["name"] == "South" and body["classes"][0]["days"][0]["spend_usd"] == 12.5
    event = http_api_event(
        "GET",
        "/kpis/school",
        headers=world["south_admin"].headers,
        query=f"school_id={world['north']}&{RANGE}",
    )
    status, _, body = invoke(handler, event)
    assert (status, body["error"]["code"]) == (404, "school_not_found")
