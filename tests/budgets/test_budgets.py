"""Budgets in money (issue 16): reservation against every scope or none, refusal naming the
scope, release on failure, settlement on completion (exactly once), idempotent replays, the
ledger append-only, and 50 simultaneous submissions against a school budget with room for
exactly 7."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.support.schools import DEFAULT_SCHOOL, make_class
from tests.webhooks.test_webhooks import deliver

LTX = "fal-ai/ltx-video"
LTX_PRICE = Decimal("0.02")
KLING = "fal-ai/kling-video/v2.1/master/text-to-video"


def submit(client: TestClient, user, model: str = LTX, **extra):
    return client.post(
        "/generations", json={"model": model, "prompt": "a comet", **extra}, headers=user.headers
    )


def ledger(db: psycopg.Connection, job_id: str) -> list[tuple[str, str, Decimal]]:
    return db.execute(
        "select scope, kind, amount from public.budget_ledger where job_id = %s order by id",
        (job_id,),
    ).fetchall()


def balance(db: psycopg.Connection, scope: str, key) -> tuple[Decimal, Decimal, Decimal]:
    row = db.execute(
        """select coalesce(sum(reserved), 0), coalesce(sum(settled), 0), coalesce(sum(used), 0)
           from public.budget_balances where scope = %s and scope_key = %s""",
        (scope, key),
    ).fetchone()
    assert row is not None
    return row


def set_budget(db: psycopg.Connection, amount: str | None) -> None:
    db.execute(
        "update public.schools set monthly_budget = %s where id = %s", (amount, DEFAULT_SCHOOL)
    )


def test_a_submission_reserves_its_estimate_on_every_scope(
    generations: TestClient, fal: FakeFal, make_user, db
) -> None:
    set_budget(db, "10")
    user = make_user()
    response = submit(generations, user)
    assert response.status_code == 201, response.text
    assert sorted(ledger(db, response.json()["id"])) == [
        ("school_month", "reservation", LTX_PRICE),
        ("student_day", "reservation", LTX_PRICE),
        ("student_videos", "reservation", Decimal(1)),
    ]
    allowance = generations.get("/generations/allowance", headers=user.headers).json()
    assert allowance["school_month_left"] == "9.98" and allowance["videos_left_today"] == 4
    assert allowance["spent_today"] == "0.02" and allowance["money_left_today"] is None
    assert allowance["currency"] == "USD" and allowance["time_zone"] == "UTC"


def test_school_budget_refusal_names_scope_remaining_and_reset_and_reserves_nothing(
    generations: TestClient, fal: FakeFal, make_user, db
) -> None:
    set_budget(db, "3.00")
    db.execute(
        "update public.schools set time_zone = 'Europe/Berlin' where id = %s", (DEFAULT_SCHOOL,)
    )
    user = make_user()
    assert submit(generations, user, KLING).status_code == 201  # 1.40
    assert submit(generations, user, KLING).status_code == 201  # 2.80
    refused = submit(generations, user, KLING)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert error["details"]["scope"] == "school_month" and error["details"]["unit"] == "USD"
    assert error["details"]["limit"] == "3" and error["details"]["remaining"] == "0.2"
    # the first day of next month, midnight in Berlin (+01:00 in winter, +02:00 in summer)
    assert error["details"]["resets_at"][8:19] in ("01T00:00:00", "30T23:00:00", "31T23:00:00")
    assert "school's monthly budget: 0.20 USD remain" in error["message"]
    assert int(refused.headers["retry-after"]) > 0
    assert db.execute("select count(*) from public.jobs").fetchone()[0] == 2
    assert db.execute("select count(*) from public.budget_ledger").fetchone()[0] == 6
    assert len(fal.submits) == 2


def test_class_cap_refusal_leaves_the_school_scope_untouched(
    generations: TestClient, fal: FakeFal, make_user, db
) -> None:
    set_budget(db, "100")
    user = make_user()
    class_id = make_class(db, DEFAULT_SCHOOL, students=(user,))
    db.execute("update public.classes set monthly_cap = 0.03 where id = %s", (class_id,))
    assert submit(generations, user, class_id=str(class_id)).status_code == 201
    refused = submit(generations, user, class_id=str(class_id))
    error = refused.json()["error"]
    assert refused.status_code == 429 and error["details"]["scope"] == "class_month"
    assert error["details"]["remaining"] == "0.01"
    assert balance(db, "school_month", DEFAULT_SCHOOL)[2] == LTX_PRICE  # one job, not two
    # without the class, the school still has room
    assert submit(generations, user).status_code == 201


def test_student_daily_money_cap_and_user_override(
    generations: TestClient, fal: FakeFal, make_user, db
) -> None:
    db.execute(
        "update public.school_role_limits set daily_money = 1.50 where school_id = %s"
        " and role = 'student'",
        (DEFAULT_SCHOOL,),
    )
    user, other = make_user(), make_user()
    assert submit(generations, user, KLING).status_code == 201
    error = submit(generations, user, KLING).json()["error"]
    assert error["details"]["scope"] == "student_day" and error["details"]["remaining"] == "0.1"
    db.execute("update public.profiles set daily_money_cap = 5 where id = %s", (other.id,))
    assert submit(generations, other, KLING).status_code == 201
    assert submit(generations, other, KLING).status_code == 201


def test_failure_releases_and_completion_settles_exactly_once(
    generations: TestClient, webhooks: TestClient, fal: FakeFal, make_user, db, s3
) -> None:
    set_budget(db, "1")
    user = make_user()
    failed = submit(generations, user).json()["id"]
    done = submit(generations, user).json()["id"]
    requests = dict(db.execute("select id::text, fal_request_id from public.jobs").fetchall())
    assert deliver(webhooks, failed, *fal.delivery(requests[failed], ok=False)).json() == {
        "outcome": "failed"
    }
    assert deliver(webhooks, done, *fal.delivery(requests[done])).json() == {"outcome": "finishing"}
    assert run_copy_worker() == 1
    # a late success for the failed job and a repeated one for the completed job: no change
    deliver(webhooks, failed, *fal.delivery(requests[failed]))
    deliver(webhooks, done, *fal.delivery(requests[done]))
    run_copy_worker()
    assert sorted(ledger(db, failed)) == sorted(
        [
            ("school_month", "reservation", LTX_PRICE),
            ("student_day", "reservation", LTX_PRICE),
            ("student_videos", "reservation", Decimal(1)),
            ("school_month", "release", -LTX_PRICE),
            ("student_day", "release", -LTX_PRICE),
            ("student_videos", "release", Decimal(-1)),
        ]
    )
    kinds = [k for _, k, _ in ledger(db, done)]
    assert kinds.count("reservation") == kinds.count("release") == kinds.count("settlement") == 3
    assert balance(db, "school_month", DEFAULT_SCHOOL) == (0, LTX_PRICE, LTX_PRICE)
    cost = db.execute("select cost_estimate_usd from public.jobs where id = %s", (done,))
    assert cost.fetchone()[0] == LTX_PRICE  # the KPI job sums the settled cost from jobs
    assert (
        generations.get("/generations/allowance", headers=user.headers).json()["videos_today"] == 1
    )


def test_idempotent_replay_reserves_nothing_twice(
    generations: TestClient, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    headers = {**user.headers, "Idempotency-Key": "budget-replay-1"}
    body = {"model": LTX, "prompt": "tides"}
    first = generations.post("/generations", json=body, headers=headers)
    again = generations.post("/generations", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert len(ledger(db, first.json()["id"])) == 3  # school has no limit: still recorded
    assert db.execute("select count(*) from public.budget_ledger").fetchone()[0] == 3


def test_the_ledger_is_append_only_even_for_its_owner(db, generations, fal, make_user) -> None:
    user = make_user()
    submit(generations, user)
    for statement in (
        "update public.budget_ledger set amount = 0",
        "delete from public.budget_ledger",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            db.execute(statement)
    # erasure anonymises (user_id set null): the one change allowed
    db.execute("delete from auth.users where id = %s", (user.id,))
    rows = db.execute("select user_id from public.budget_ledger").fetchall()
    assert rows == [(None,)] * 3


def test_unknown_time_zone_is_refused_by_the_database(db) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="not an IANA time zone"):
        db.execute(
            "update public.schools set time_zone = 'Mars/Olympus' where id = %s", (DEFAULT_SCHOOL,)
        )


def test_fifty_simultaneous_submissions_against_room_for_seven(
    fal: FakeFal, make_user, configure, db
) -> None:
    """Each its own student (so only the school scope binds); exactly 7 accepted, 43 refused
    with budget_exceeded, not one cent over."""
    set_budget(db, str(LTX_PRICE * 7))
    configure(DB_POOL_MAX_SIZE="20")
    client = TestClient(load_handler("generations").app)
    users = [make_user() for _ in range(50)]
    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(lambda u: submit(client, u), users))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 7 and statuses.count(429) == 43
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 429}
    scopes = {r.json()["error"]["details"]["scope"] for r in responses if r.status_code == 429}
    assert codes == {"budget_exceeded"} and scopes == {"school_month"}
    assert balance(db, "school_month", DEFAULT_SCHOOL)[2] == LTX_PRICE * 7
    assert db.execute("select count(*) from public.jobs").fetchone()[0] == 7


def test_randomized_run_keeps_every_balance_equal_to_the_ledger(
    fal: FakeFal, make_user, configure, db, s3
) -> None:
    """Reservations, failures, completions and replays racing each other; then each balance
    the API shows equals the ledger's own sums, and no scope is over its limit."""
    set_budget(db, "0.50")
    configure(DB_POOL_MAX_SIZE="20")
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    users = [make_user() for _ in range(6)]
    rng = random.Random(16)

    def act(step: int) -> None:
        user = rng.choice(users)
        headers = {**user.headers, "Idempotency-Key": f"k{rng.randrange(40)}"}
        response = generations.post(
            "/generations", json={"model": LTX, "prompt": "p"}, headers=headers
        )
        if response.status_code != 201:
            return
        job = response.json()["id"]
        (request_id,) = db.execute(
            "select fal_request_id from public.jobs where id = %s", (job,)
        ).fetchone()
        deliver(webhooks, job, *fal.delivery(request_id, ok=step % 3 != 0))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(act, range(60)))
    run_copy_worker()
    sums = db.execute(
        """select coalesce(sum(amount), 0) from public.budget_ledger
           where scope = 'school_month'"""
    ).fetchone()[0]
    assert balance(db, "school_month", DEFAULT_SCHOOL)[2] == sums <= Decimal("0.50")
    for user in users:
        shown = generations.get("/generations/allowance", headers=user.headers).json()
        videos, money = db.execute(
            """select coalesce(sum(amount) filter (where scope = 'student_videos'), 0),
                      coalesce(sum(amount) filter (where scope = 'student_day'), 0)
               from public.budget_ledger where user_id = %s""",
            (user.id,),
        ).fetchone()
        assert shown["videos_today"] == videos <= 5
        assert Decimal(shown["spent_today"]) == money
    # every job has at most one reservation, release and settlement per scope, and the
    # finished ones none open
    open_ = db.execute(
        """select count(*) from public.jobs j where j.status in ('failed', 'completed')
           and (select coalesce(sum(amount), 0) from public.budget_ledger l
                where l.job_id = j.id and l.kind <> 'settlement') <> 0"""
    ).fetchone()[0]
    assert open_ == 0


def test_releases_and_settlements_racing_submissions_keep_the_ledger_exact(
    fal: FakeFal, make_user, configure, db, s3
) -> None:
    """Submissions against a school budget with room for 10 videos, while failures release
    (fal's ERROR deliveries) and completions settle (the copy worker, in a thread of its
    own, copying as deliveries come): room a release gives back is taken by later
    submissions, a settled video keeps its share, nothing is ever over the budget, and every
    job's ledger rows add up (each finished job: nothing open, its settlement = its cost)."""
    budget = LTX_PRICE * 10
    set_budget(db, str(budget))
    db.execute("update public.school_role_limits set daily_videos = null")  # only the school binds
    configure(DB_POOL_MAX_SIZE="20")
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    users = [make_user() for _ in range(8)]
    done = threading.Event()
    copied: list[int] = []

    def copier() -> None:
        while not done.is_set():
            copied.append(run_copy_worker())

    def student(index: int) -> list[int]:
        user, statuses = users[index], []
        for attempt in range(10):
            response = submit(generations, user)
            statuses.append(response.status_code)
            if response.status_code != 201:
                continue
            job = response.json()["id"]
            (request_id,) = db.execute(
                "select fal_request_id from public.jobs where id = %s", (job,)
            ).fetchone()
            # every other accepted job fails at fal (released), the rest complete (settled)
            deliver(webhooks, job, *fal.delivery(request_id, ok=(attempt + index) % 2 == 0))
        return statuses

    worker = threading.Thread(target=copier)
    worker.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [s for each in pool.map(student, range(8)) for s in each]
    finally:
        done.set()
        worker.join()
    run_copy_worker()

    assert set(statuses) <= {201, 429}
    states = dict(db.execute("select status, count(*) from public.jobs group by 1").fetchall())
    assert set(states) <= {"completed", "failed"}
    assert states.get("completed", 0) <= 10
    # releases made room for more than the budget's 10 while the submissions raced them
    assert statuses.count(201) == sum(states.values()) > 10
    reserved, settled, used = balance(db, "school_month", DEFAULT_SCHOOL)
    assert reserved == 0 and used == settled == LTX_PRICE * states.get("completed", 0)
    assert used <= budget
    # per job: one reservation per scope, released once; the completed settle at their cost
    rows = db.execute(
        """select j.status, j.cost_estimate_usd,
                  count(*) filter (where l.kind = 'reservation'),
                  count(*) filter (where l.kind = 'release'),
                  count(*) filter (where l.kind = 'settlement'),
                  coalesce(sum(l.amount) filter (where l.kind <> 'settlement'), 0),
                  coalesce(sum(l.amount) filter (where l.kind = 'settlement'
                                                 and l.scope = 'school_month'), 0)
           from public.jobs j left join public.budget_ledger l on l.job_id = j.id
           group by j.id"""
    ).fetchall()
    for status, cost, reservations, releases, settlements, open_, settled_school in rows:
        assert reservations == releases == 3  # school month, student day, student videos
        assert open_ == 0
        if status == "completed":
            assert settlements == 3 and settled_school == cost == LTX_PRICE
        else:
            assert settlements == 0 and settled_school == 0
    # and the ledger holds no row of a job that does not exist (a refusal reserved nothing)
    assert db.execute(
        "select count(*) from public.budget_ledger l"
        " where not exists (select 1 from public.jobs j where j.id = l.job_id)"
    ).fetchone() == (0,)
