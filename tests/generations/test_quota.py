"""The quota rule's SQL (videogen.generations.repository: consume_quota, refund_for_job,
quota_status): a refund gives back exactly the unit its job took (its owner's, on the UTC day
the job was created, never below zero) and the quota read counts only the user's own day.
Each test kills a mutation of infra/mutate_sql.py that the other quota tests let through."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.users import User
from tests.webhooks.test_webhooks import deliver


def submit_job(generations: TestClient, fal: FakeFal, user: User, db) -> tuple[str, str]:
    """Submits a job for `user`: (job id, fal request id)."""
    response = generations.post(
        "/generations",
        json={"model": "fal-ai/ltx-video", "prompt": "a comet"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["id"]
    (request_id,) = db.execute(
        "select fal_request_id from public.jobs where id = %s", (job_id,)
    ).fetchone()
    return job_id, request_id


def fail_at_fal(webhooks: TestClient, fal: FakeFal, job_id: str, request_id: str) -> None:
    response = deliver(webhooks, job_id, *fal.delivery(request_id, ok=False))
    assert response.json() == {"outcome": "failed"}, response.text


def used_today(generations: TestClient, user: User) -> int:
    quota = generations.get("/generations/quota", headers=user.headers)
    assert quota.status_code == 200, quota.text
    return quota.json()["used_today"]


def test_refund_gives_back_the_job_owners_unit_only(
    webhooks, generations, fal: FakeFal, make_user, db
) -> None:
    owner, other = make_user(), make_user()
    job_id, request_id = submit_job(generations, fal, owner, db)
    submit_job(generations, fal, other, db)
    fail_at_fal(webhooks, fal, job_id, request_id)
    assert used_today(generations, owner) == 0
    assert used_today(generations, other) == 1


def test_refund_of_a_job_from_an_earlier_day_leaves_todays_usage(
    webhooks, generations, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    old_job, old_request = submit_job(generations, fal, user, db)
    # The job was created (and its unit taken) yesterday, UTC.
    db.execute(
        "update public.jobs set created_at = created_at - interval '1 day' where id = %s",
        (old_job,),
    )
    db.execute("update public.quota_usage set day = day - 1 where user_id = %s", (user.id,))
    submit_job(generations, fal, user, db)
    fail_at_fal(webhooks, fal, old_job, old_request)
    assert used_today(generations, user) == 1  # today's unit is not the one refunded
    rows = db.execute(
        "select day < (now() at time zone 'UTC')::date, used from public.quota_usage"
        " where user_id = %s order by day",
        (user.id,),
    ).fetchall()
    assert rows == [(True, 0), (False, 1)]


def test_refund_after_the_days_usage_was_reset_keeps_it_at_zero(
    webhooks, generations, fal: FakeFal, make_user, db
) -> None:
    """An operator may give a student the day back (usage set to 0); a job of that day
    failing afterwards must still fail cleanly (usage has a `used >= 0` check)."""
    user = make_user()
    job_id, request_id = submit_job(generations, fal, user, db)
    db.execute("update public.quota_usage set used = 0 where user_id = %s", (user.id,))
    fail_at_fal(webhooks, fal, job_id, request_id)
    assert used_today(generations, user) == 0


def test_quota_read_counts_only_the_users_own_usage_of_the_day(
    generations, fal: FakeFal, make_user, db
) -> None:
    user, other = make_user(), make_user()
    submit_job(generations, fal, user, db)
    submit_job(generations, fal, other, db)
    submit_job(generations, fal, other, db)
    db.execute(
        "insert into public.quota_usage (user_id, day, used)"
        " values (%s, (now() at time zone 'UTC')::date - 1, 4)",
        (user.id,),
    )
    assert used_today(generations, user) == 1
    assert used_today(generations, other) == 2
