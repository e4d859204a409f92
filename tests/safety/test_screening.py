"""A refused prompt through the generations function: 422 `prompt_refused` that does not
echo the term, nothing spent (nothing reserved, nothing sent to fal), and a safety event."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_school


def submit(client: TestClient, user, prompt: str, model: str = "fal-ai/ltx-video"):
    return client.post(
        "/generations", json={"model": model, "prompt": prompt}, headers=user.headers
    )


def events(db) -> list[tuple]:
    return db.execute(
        "select school_id, class_id, user_id, rule, prompt, model from public.safety_events"
        " order by id"
    ).fetchall()


def used_today(client: TestClient, user) -> int:
    return client.get("/generations/allowance", headers=user.headers).json()["videos_today"]


@pytest.mark.parametrize(
    ("prompt", "rule", "env", "school_terms"),
    [
        ("a pistol on a table", "builtin:violence", {}, []),
        ("a Weapon factory", "deployment", {"PROMPT_BLOCKLIST": "gore, weapon"}, []),
        ("a dragon attacking", "school", {}, ["Dragon"]),
    ],
)
def test_refused_prompt_costs_nothing_and_is_recorded(
    fal: FakeFal, make_user, db, configure, prompt, rule, env, school_terms
) -> None:
    configure(**env)
    client = TestClient(load_handler("generations").app)
    school = make_school(db, blocklist_terms=school_terms)
    student = make_user()
    make_class(db, school, students=(student,))

    response = submit(client, student, prompt)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "prompt_refused"
    assert prompt.split()[1].lower() not in (error["message"] + str(error.get("details"))).lower()
    assert fal.submits == [] and used_today(client, student) == 0
    assert db.execute("select count(*) from public.jobs").fetchone()[0] == 0
    assert events(db) == [(school, None, student.id, rule, prompt, "fal-ai/ltx-video")]


def test_an_accepted_prompt_records_no_event(fal: FakeFal, make_user, db) -> None:
    client = TestClient(load_handler("generations").app)
    student = make_user()
    make_class(db, make_school(db, blocklist_terms=["dragon"]), students=(student,))
    assert submit(client, student, "Scunthorpe at night, a dragonfly").status_code == 201
    assert events(db) == [] and used_today(client, student) == 1


def test_one_schools_terms_do_not_refuse_anothers_prompts(fal: FakeFal, make_user, db) -> None:
    client = TestClient(load_handler("generations").app)
    strict, other = make_user(), make_user()
    make_class(db, make_school(db, blocklist_terms=["dragon"]), students=(strict,))
    make_class(db, make_school(db), students=(other,))
    assert submit(client, strict, "a dragon").status_code == 422
    assert submit(client, other, "a dragon").status_code == 201


def test_retrying_a_job_screens_its_prompt_again(fal: FakeFal, make_user, db) -> None:
    """A school that adds a term after a job failed: its retry is refused, for free."""
    client = TestClient(load_handler("generations").app)
    school = make_school(db)
    student = make_user()
    make_class(db, school, students=(student,))
    fal.submit_responses.append((422, {"detail": "refused"}))
    failed = submit(client, student, "a dragon")
    job_id = failed.json()["error"]["details"]["job_id"]
    db.execute("update public.schools set blocklist_terms = '{dragon}' where id = %s", (school,))
    retry = client.post(f"/generations/{job_id}/retry", headers=student.headers)
    assert retry.status_code == 422 and retry.json()["error"]["code"] == "prompt_refused"
    assert [e[3] for e in events(db)] == ["school"]
