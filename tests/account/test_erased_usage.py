"""Issue 13, "Erasure": deleting an account and registering again with the same email does
not reset the day's quota; the usage kept holds no personal data and lasts only the day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.fal import FakeFal
from videogen.account import usage
from videogen.db import get_database


def _submit(generations: TestClient, headers: dict[str, str]) -> None:
    response = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "tides"}, headers=headers
    )
    assert response.status_code == 201, response.text


def _used_today(generations: TestClient, headers: dict[str, str]) -> int:
    response = generations.get("/generations/quota", headers=headers)
    assert response.status_code == 200, response.text
    used: int = response.json()["used_today"]
    return used


def test_delete_and_register_again_keeps_todays_quota_usage(
    generations: TestClient, fal: FakeFal, make_user, db: psycopg.Connection
) -> None:
    first = make_user(email="ada@school.example")
    _submit(generations, first.headers)
    _submit(generations, first.headers)
    assert generations.delete("/me", headers=first.headers).status_code == 204
    # What is kept: a hash, a day and a count; no email, no user id.
    (row,) = db.execute("select email_hash, day, used from public.erased_usage").fetchall()
    assert re.fullmatch("[0-9a-f]{64}", row[0]) and "ada" not in row[0]
    assert row[1:] == (datetime.now(UTC).date(), 2)
    again = make_user(email="  ADA@School.example ")  # the same address, written otherwise
    assert _used_today(generations, again.headers) == 2
    _submit(generations, again.headers)
    assert _used_today(generations, again.headers) == 3
    # Deleted a second time the same day: the larger count is kept, never a lower one.
    assert generations.delete("/me", headers=again.headers).status_code == 204
    assert db.execute("select used from public.erased_usage").fetchall() == [(3,)]


def test_erased_usage_of_another_day_is_not_carried(
    generations: TestClient, fal: FakeFal, make_user, db: psycopg.Connection
) -> None:
    first = make_user(email="bob@school.example")
    _submit(generations, first.headers)
    assert generations.delete("/me", headers=first.headers).status_code == 204
    # As if the deletion had happened yesterday (day arithmetic, no sleeping).
    db.execute("update public.erased_usage set day = day - 1")
    again = make_user(email="bob@school.example")
    assert _used_today(generations, again.headers) == 0


def test_erased_usage_is_only_for_its_day_and_purged_by_the_next_erasure(
    generations: TestClient, fal: FakeFal, make_user, db: psycopg.Connection
) -> None:
    user = make_user(email="cy@school.example")
    _submit(generations, user.headers)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with get_database().connection() as conn:
        usage.carry(conn, user.id, TEST_WEBHOOK_SECRET, start.date())
    assert db.execute("select day, used from public.erased_usage").fetchall() == [(start.date(), 1)]
    # Tomorrow, an account with the same email (created tomorrow) starts from nothing...
    tomorrow = start + timedelta(days=1)
    db.execute("delete from public.quota_usage where user_id = %s", (user.id,))
    db.execute("update public.profiles set created_at = %s where id = %s", (tomorrow, user.id))
    with get_database().connection() as conn:
        usage.restore(conn, user.id, TEST_WEBHOOK_SECRET, tomorrow)
        assert conn.execute(
            "select count(*) as n from public.quota_usage where user_id = %s", (user.id,)
        ).fetchone() == {"n": 0}
        # ...and tomorrow's first erasure purges today's row.
        usage.carry(conn, user.id, TEST_WEBHOOK_SECRET, tomorrow.date())
    assert db.execute("select count(*) from public.erased_usage").fetchone() == (0,)


def test_email_hash_normalises_and_depends_on_the_secret() -> None:
    assert usage.email_hash(" Ada@School.EXAMPLE ", "s") == usage.email_hash(
        "ada@school.example", "s"
    )
    assert usage.email_hash("ada@school.example", "s") != usage.email_hash(
        "ada@school.example", "t"
    )
    assert usage.email_hash("ada@school.example", "s") != usage.email_hash(
        "bob@school.example", "s"
    )
