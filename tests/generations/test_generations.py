"""Submitting and following generations against a fake fal queue and a real Postgres."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler
from tests.support.schools import error as error_of
from tests.support.users import User

KLING = "fal-ai/kling-video/v2.1/master/text-to-video"


@pytest.fixture
def client(fal: FakeFal) -> TestClient:
    return TestClient(load_handler("generations").app)


def submit(client: TestClient, user: User, headers: dict | None = None, **body):
    payload = {"model": "fal-ai/ltx-video", "prompt": "a volcano erupting, diagram style"}
    payload.update(body)
    return client.post("/generations", json=payload, headers={**user.headers, **(headers or {})})


def job_row(db, job_id: str) -> dict:
    cur = db.execute("select * from public.jobs where id = %s", (job_id,))
    names = [c.name for c in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def used_today(client: TestClient, user: User) -> int:
    return client.get("/generations/allowance", headers=user.headers).json()["videos_today"]


def test_models_are_listed_with_parameters_and_costs(client: TestClient) -> None:
    models = {m["key"]: m for m in client.get("/models").json()}
    assert set(models) == {
        "fal-ai/ltx-video",
        KLING,
        "fal-ai/veo3.1",
        "fal-ai/veo3.1/fast",
        "fal-ai/wan-t2v",
    }
    assert models[KLING]["default_cost_usd"] == 1.40
    assert models["fal-ai/veo3.1"]["default_cost_usd"] == pytest.approx(1.60)
    assert "duration" in models[KLING]["parameters"]["properties"]


def test_submit_records_the_job_and_queues_it_at_fal(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User], db
) -> None:
    user = make_user()
    response = submit(client, user, model=KLING, params={"duration": "10", "aspect_ratio": "9:16"})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "submitted" and job["cost_estimate_usd"] == pytest.approx(2.80)
    assert job["params"] == {"duration": "10", "aspect_ratio": "9:16", "cfg_scale": 0.5}

    (request_id, request), *_ = fal.requests.items()
    assert request.app == KLING
    assert request.authorization == "Key fal-test-key"
    assert request.arguments["prompt"] == "a volcano erupting, diagram style"
    assert request.arguments["duration"] == "10"
    webhook = urlsplit(request.webhook_url)
    assert webhook.netloc == "api.videogen.test" and webhook.path == "/webhooks/fal"
    assert webhook.query == webhook_query(job["id"])  # the job's id and its HMAC token
    row = job_row(db, job["id"])
    assert row["fal_request_id"] == request_id and row["submitted_at"] is not None
    assert used_today(client, user) == 1


def test_school_safety_arguments_are_forced(client: TestClient, fal: FakeFal, make_user) -> None:
    response = submit(client, make_user(), model="fal-ai/wan-t2v", params={"resolution": "720p"})
    assert response.status_code == 201
    (request,) = fal.requests.values()
    assert request.arguments["enable_safety_checker"] is True
    assert response.json()["cost_estimate_usd"] == pytest.approx(0.40)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"model": "fal-ai/sora"}, "unknown_model", "model"),
        ({"model": KLING, "params": {"duration": "7"}}, "validation_error", "params.duration"),
        ({"params": {"guidance_scale": 99}}, "validation_error", "params.guidance_scale"),
        ({"params": {"steps": 3}}, "validation_error", "params.steps"),
        (
            {"model": "fal-ai/veo3.1", "params": {"resolution": "8k"}},
            "validation_error",
            "params.resolution",
        ),
        ({"prompt": "   "}, "validation_error", "prompt"),
        ({"prompt": "x" * 2001}, "validation_error", "prompt"),
        ({"status": "completed"}, "validation_error", "status"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, fal: FakeFal, make_user, body: dict, code: str, field: str
) -> None:
    error = error_of(submit(client, make_user(), **body), 422)
    assert error["code"] == code
    assert field in [f["field"] for f in error["details"]["fields"]]
    assert fal.submits == []


def test_blocked_prompt_costs_nothing(
    client: TestClient, fal: FakeFal, make_user, configure
) -> None:
    configure(PROMPT_BLOCKLIST="gore, weapon")
    client = TestClient(load_handler("generations").app)
    user = make_user()
    assert (
        error_of(submit(client, user, prompt="A WEAPON factory"), 422)["code"] == "prompt_refused"
    )
    assert submit(client, user, prompt="weaponless knights").status_code == 201
    assert len(fal.submits) == 1 and used_today(client, user) == 1


def test_video_cap_race_accepts_exactly_the_cap(
    client: TestClient, fal: FakeFal, make_user, configure, db
) -> None:
    configure(DB_POOL_MAX_SIZE="20")
    client = TestClient(load_handler("generations").app)
    user = make_user()
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: submit(client, user), range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 5 and statuses.count(429) == 15
    rejected = next(r for r in responses if r.status_code == 429)
    error = rejected.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert error["details"]["scope"] == "student_videos" and error["details"]["limit"] == "5"
    assert error["details"]["remaining"] == "0" and error["details"]["unit"] == "videos"
    assert error["details"]["resets_at"].endswith("T00:00:00+00:00")  # the school's zone: UTC
    assert error["message"].startswith("Not enough left in your daily number of videos: 0")
    assert 0 < int(rejected.headers["retry-after"]) <= 86_400
    assert db.execute("select count(*) from public.jobs").fetchone()[0] == 5
    assert len(fal.submits) == 5


def test_teachers_and_overrides_have_their_own_video_cap(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    teacher = make_user(role="teacher")
    allowance = client.get("/generations/allowance", headers=teacher.headers).json()
    assert allowance["daily_video_cap"] == 20 and allowance["videos_left_today"] == 20
    student = make_user()
    db.execute("update public.profiles set daily_video_cap = 1 where id = %s", (student.id,))
    assert submit(client, student).status_code == 201
    assert error_of(submit(client, student), 429)["code"] == "budget_exceeded"


def test_idempotency_key_replays_the_first_job(client: TestClient, fal: FakeFal, make_user) -> None:
    user = make_user()
    key = {"Idempotency-Key": "req-2026-11-25-0001"}
    first = submit(client, user, headers=key)
    again = submit(client, user, headers=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(fal.submits) == 1 and used_today(client, user) == 1
    conflict = submit(client, user, headers=key, prompt="something else")
    assert error_of(conflict, 409)["code"] == "idempotency_key_reused"
    # another user may use the same key for their own request
    assert submit(client, make_user(), headers=key).status_code == 201


def test_concurrent_requests_with_one_key_make_one_job(
    client: TestClient, fal: FakeFal, make_user, configure, db
) -> None:
    configure(DB_POOL_MAX_SIZE="10")
    client = TestClient(load_handler("generations").app)
    user = make_user()
    key = {"Idempotency-Key": "double-click-42"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: submit(client, user, headers=key), range(8)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert db.execute("select count(*) from public.jobs").fetchone()[0] == 1
    assert used_today(client, user) == 1


def test_old_idempotency_key_can_be_reused_after_24_hours(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    key = {"Idempotency-Key": "reused-next-day"}
    first = submit(client, user, headers=key).json()
    db.execute(
        "update public.jobs set created_at = now() - interval '25 hours' where id = %s",
        (first["id"],),
    )
    second = submit(client, user, headers=key, prompt="a new one")
    assert second.status_code == 201 and second.json()["id"] != first["id"]


def test_bad_idempotency_key_is_422(client: TestClient, fal: FakeFal, make_user) -> None:
    error = error_of(submit(client, make_user(), headers={"Idempotency-Key": "no spaces!"}), 422)
    assert "Idempotency-Key" in [f["field"] for f in error["details"]["fields"]]


def test_fal_refusal_fails_the_job_and_releases_its_reservation(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    fal.submit_responses.append((422, {"detail": "prompt: field required"}))
    user = make_user()
    error = error_of(submit(client, user), 502)
    assert error["code"] == "provider_rejected" and "field required" in error["message"]
    job = job_row(db, error["details"]["job_id"])
    assert job["status"] == "failed" and "field required" in job["error"]
    assert job["finished_at"] is not None
    assert used_today(client, user) == 0


def test_fal_unreachable_fails_the_job_and_releases_its_reservation(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    fal.close()
    user = make_user()
    response = submit(client, user)
    error = error_of(response, 503)
    assert error["code"] == "provider_unavailable" and response.headers["retry-after"]
    assert job_row(db, error["details"]["job_id"])["status"] == "failed"
    assert used_today(client, user) == 0
    assert db.execute("select count(*) from public.jobs where status = 'queued'").fetchone()[0] == 0


def test_lists_are_own_newest_first_and_paginated(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    ada, bob = make_user(role="teacher"), make_user()
    ids = [submit(client, ada, prompt=f"scene {i}").json()["id"] for i in range(5)]
    submit(client, bob)
    first = client.get("/generations?limit=2", headers=ada.headers).json()
    assert [j["id"] for j in first["items"]] == ids[::-1][:2]
    second = client.get(
        f"/generations?limit=2&cursor={first['next_cursor']}", headers=ada.headers
    ).json()
    third = client.get(
        f"/generations?limit=2&cursor={second['next_cursor']}", headers=ada.headers
    ).json()
    assert [j["id"] for j in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    db.execute("update public.jobs set status = 'failed' where id = %s", (ids[0],))
    failed = client.get("/generations?status=failed", headers=ada.headers).json()["items"]
    assert [j["id"] for j in failed] == [ids[0]]
    bad = client.get("/generations?cursor=not-a-cursor", headers=ada.headers)
    assert error_of(bad, 422)["details"]["fields"][0]["field"] == "cursor"
    assert error_of(client.get("/generations?status=done", headers=ada.headers), 422)


def test_another_users_job_is_not_found(client: TestClient, fal: FakeFal, make_user) -> None:
    ada, bob = make_user(), make_user()
    job_id = submit(client, ada).json()["id"]
    for method, path in [
        ("GET", f"/generations/{job_id}"),
        ("POST", f"/generations/{job_id}/cancel"),
        ("POST", f"/generations/{job_id}/retry"),
    ]:
        response = client.request(method, path, headers=bob.headers)
        assert error_of(response, 404)["code"] == "generation_not_found"
    assert client.get(f"/generations/{job_id}", headers=ada.headers).status_code == 200
    assert error_of(client.get("/generations/not-a-uuid", headers=ada.headers), 422)


def test_retry_makes_a_new_job_from_a_failed_one(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    job = submit(client, user, model=KLING, params={"duration": "10"}).json()
    refused = client.post(f"/generations/{job['id']}/retry", headers=user.headers)
    assert error_of(refused, 409)["code"] == "cannot_retry"
    db.execute("update public.jobs set status = 'failed' where id = %s", (job["id"],))
    retried = client.post(f"/generations/{job['id']}/retry", headers=user.headers)
    assert retried.status_code == 201, retried.text
    new = retried.json()
    assert new["id"] != job["id"] and new["retry_of"] == job["id"]
    assert (new["model"], new["prompt"], new["params"]) == (
        job["model"],
        job["prompt"],
        job["params"],
    )
    assert len(fal.submits) == 2


def test_routes_need_a_token(client: TestClient) -> None:
    for method, path in [("GET", "/generations"), ("POST", "/generations")]:
        assert error_of(client.request(method, path), 401)["code"] == "missing_token"


def test_database_down_is_503_and_nothing_is_sent(fal: FakeFal, make_user, configure) -> None:
    user = make_user()
    configure(
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/nowhere", DB_CONNECT_TIMEOUT_SECONDS="1"
    )
    client = TestClient(load_handler("generations").app)
    response = submit(client, user)
    assert error_of(response, 503)["code"] == "database_unavailable"
    assert fal.submits == []


def test_estimate_prices_the_chosen_settings_and_creates_nothing(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    quote = client.post(
        "/generations/estimate",
        json={"model": "fal-ai/veo3.1", "params": {"duration": "6s", "generate_audio": True}},
        headers=user.headers,
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["cost_usd"] == pytest.approx(2.40)
    assert quote.json()["params"]["resolution"] == "720p"
    bad = client.post(
        "/generations/estimate",
        json={"model": KLING, "params": {"duration": "7"}},
        headers=user.headers,
    )
    assert error_of(bad, 422)["details"]["fields"][0]["field"] == "params.duration"
    unknown = client.post("/generations/estimate", json={"model": "x"}, headers=user.headers)
    assert error_of(unknown, 422)["code"] == "unknown_model"
    assert error_of(client.post("/generations/estimate", json={"model": KLING}), 401)
    assert fal.submits == [] and used_today(client, user) == 0
    assert db.execute("select count(*) from public.jobs").fetchone() == (0,)


def test_nul_character_in_prompt_is_422_and_nothing_is_kept(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    user = make_user()
    error = error_of(submit(client, user, prompt="a\x00b"), 422)
    assert error["code"] == "invalid_data"
    assert db.execute("select count(*) from public.jobs").fetchone() == (0,)
    assert used_today(client, user) == 0 and fal.submits == []


def test_user_whose_video_cap_is_zero_is_refused_a_submission(
    client: TestClient, fal: FakeFal, make_user, db
) -> None:
    """Issue 13 (test strength): a cap of 0 refuses even the first submission of a day."""
    student = make_user()
    db.execute("update public.profiles set daily_video_cap = 0 where id = %s", (student.id,))
    error = error_of(submit(client, student), 429)
    assert error["code"] == "budget_exceeded" and error["details"]["limit"] == "0"
    assert used_today(client, student) == 0 and fal.submits == []


@pytest.mark.parametrize(
    "shape",
    [
        ["2020-01-01", 1],  # the review's finding: AttributeError in UUID(1)
        [1, "00000000-0000-0000-0000-000000000000"],
        {"created": "2020-01-01", "id": "00000000-0000-0000-0000-000000000000"},
        ["2020-01-01T00:00:00+00:00"],
        ["2020-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000", "x"],
        ["2020-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"],  # no offset
        [None, None],
        "2020-01-01",
        42,
    ],
)
def test_cursor_with_a_number_in_place_of_the_id_is_422_not_500(
    client: TestClient, make_user, shape: object
) -> None:
    """Well-formed JSON of the wrong shape is refused like any other foreign cursor."""
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(shape).encode()).decode().rstrip("=")
    response = client.get(f"/generations?cursor={cursor}", headers=make_user().headers)
    assert error_of(response, 422)["details"]["fields"] == [
        {"field": "cursor", "message": "Not a cursor this API returned."}
    ]


def test_a_full_last_page_has_no_next_cursor(client: TestClient, fal: FakeFal, make_user) -> None:
    user = make_user()
    for i in range(2):
        submit(client, user, prompt=f"scene {i}")
    page = client.get("/generations?limit=2", headers=user.headers).json()
    assert len(page["items"]) == 2 and page["next_cursor"] is None


def test_every_cursor_handed_out_decodes_to_its_row() -> None:
    """Cursors are unpadded base64url of (created_at, id): any row's cursor reads back."""
    import random
    import uuid
    from datetime import UTC, datetime, timedelta

    from videogen.generations.repository import decode_cursor, encode_cursor

    rng = random.Random(13)  # fixed: the same 500 rows every run
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(500):
        created = start + timedelta(microseconds=rng.randrange(10**13))
        job_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        cursor = encode_cursor({"created_at": created, "id": job_id})
        assert "=" not in cursor
        assert decode_cursor(cursor) == (created, job_id)
