"""`make demo`'s seeding (videogen/local/demo.py), twice on the test database: the same
school, accounts, classes and history each time, and its accounts sign in through the auth
function with the demo password."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import psycopg
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler
from videogen.local import demo
from videogen.storage.deps import get_object_store


def _fingerprint(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Every demo job's id, status, model, times and marks: equal runs give equal lists."""
    return db.execute(
        """select id, user_id, class_id, status, model, cost_estimate_usd, created_at,
                  finished_at, hidden_at is not null, video_kept_days,
                  (select object_key from public.files f where f.job_id = j.id)
           from public.jobs j where school_id = %s and status not in
             ('queued', 'submitted', 'in_progress')  -- today's: created "a minute ago"
           order by id""",
        (demo.SCHOOL,),
    ).fetchall()


def test_demo_seed_is_idempotent_and_its_teacher_signs_in(database_url: str, db, s3) -> None:
    today = datetime.now(UTC).date()
    with psycopg.connect(database_url) as conn:
        first = demo.seed(conn, get_object_store(), today=today)
    before = _fingerprint(db)
    with psycopg.connect(database_url) as conn:
        second = demo.seed(conn, get_object_store(), today=today)

    assert asdict(first) == asdict(second)
    assert _fingerprint(db) == before
    assert (first.accounts, first.classes, first.class_members) == (33, 3, 34)
    assert first.safety_events == 8 and first.hidden >= 3
    assert 400 <= first.jobs <= 1500, first
    assert first.videos > 50 and first.videos_deleted_by_retention > 100
    roles = dict(
        db.execute(
            "select role, count(*) from public.profiles where school_id = %s group by role",
            (demo.SCHOOL,),
        ).fetchall()
    )
    assert roles == {"admin": 1, "teacher": 2, "student": 30}
    statuses = {
        s for (s,) in db.execute(
            "select distinct status from public.jobs where school_id = %s", (demo.SCHOOL,)
        )
    }  # fmt: skip
    assert statuses == {"completed", "failed", "cancelled", "queued", "submitted", "in_progress"}
    models = db.execute(
        "select count(distinct model) from public.jobs where school_id = %s", (demo.SCHOOL,)
    ).fetchone()
    assert models == (5,)
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket="videos").get("Contents", [])}
    assert len(stored) == first.videos

    auth = TestClient(load_handler("auth").app)
    login = auth.post(
        "/auth/login",
        json={"email": f"teacher1@{demo.DOMAIN}", "password": demo.DEMO_PASSWORD},
    )
    assert login.status_code == 200, login.text
    me = auth.get("/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "teacher"
    wrong = auth.post(
        "/auth/login", json={"email": f"teacher1@{demo.DOMAIN}", "password": "not-the-demo"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"
