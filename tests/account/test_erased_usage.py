"""Issue 13, "Erasure": deleting an account and registering again with the same email does
not reset the day's caps; the usage kept holds no personal data and lasts only the day."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

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
    response = generations.get("/generations/allowance", headers=headers)
    assert response.status_code == 200, response.text
    used: int = response.json()["videos_today"]
    return used


def test_delete_and_register_again_keeps_the_days_usage(
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
    today = datetime.now(UTC).date()
    with get_database().connection() as conn:
        usage.carry(conn, user.id, TEST_WEBHOOK_SECRET)
    rows = db.execute("select day, used, money from public.erased_usage").fetchall()
    assert rows == [(today, 1, Decimal("0.02"))]
    with get_database().connection() as conn:
        assert usage.carried(conn, user.id, TEST_WEBHOOK_SECRET) == (Decimal("0.02"), 1)
    # An account created yesterday (not today) carries nothing over.
    db.execute(
        "update public.profiles set created_at = now() - interval '1 day' where id = %s",
        (user.id,),
    )
    with get_database().connection() as conn:
        assert usage.carried(conn, user.id, TEST_WEBHOOK_SECRET) == (Decimal(0), 0)
    # Rows older than two days are purged by the next erasure.
    db.execute("update public.erased_usage set day = day - 3")
    with get_database().connection() as conn:
        usage.carry(conn, user.id, TEST_WEBHOOK_SECRET)
    assert db.execute("select day from public.erased_usage").fetchall() == [(today,)]


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
