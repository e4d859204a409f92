"""Load and faults: many concurrent deliveries, a restarted database, storage failing
mid-upload, a slow fal. Each must end in a clear error or a correct state, never half-written."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler
from tests.support.logs import logged
from videogen.local.postgres import EmbeddedPostgres


def submit_jobs(user, n: int) -> list[str]:
    generations = TestClient(load_handler("generations").app)
    ids = []
    for i in range(n):
        response = generations.post(
            "/generations",
            json={"model": "fal-ai/ltx-video", "prompt": f"scene {i}"},
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_200_concurrent_deliveries_for_50_jobs(fal: FakeFal, make_user, configure, db) -> None:
    configure(DB_POOL_MAX_SIZE="16")
    user = make_user(role="admin")
    job_ids = submit_jobs(user, 50)
    request_of = dict(db.execute("select id::text, fal_request_id from public.jobs").fetchall())
    deliveries = []
    for index, job_id in enumerate(job_ids):
        ok = index % 5 != 0  # every fifth job fails at fal
        body, headers = fal.delivery(request_of[job_id], ok=ok)
        deliveries += [(job_id, body, headers)] * 4  # fal's retries and duplicates
    webhooks = TestClient(load_handler("webhooks").app)

    def send(delivery):
        job_id, body, headers = delivery
        return webhooks.post(
            f"/webhooks/fal?{webhook_query(job_id)}", content=body, headers=headers
        )

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(send, deliveries))

    assert [r.status_code for r in responses] == [200] * 200
    outcomes = [r.json()["outcome"] for r in responses]
    assert outcomes.count("finishing") == 40 and outcomes.count("failed") == 10
    assert outcomes.count("duplicate") == 150
    # duplicates of a `finishing` job queue its copy again; the worker copies each once
    run_copy_worker(max_polls=100)
    states = dict(db.execute("select status, count(*) from public.jobs group by status").fetchall())
    assert states == {"completed": 40, "failed": 10}
    files = db.execute("select count(*), count(distinct job_id) from public.files").fetchone()
    assert files == (40, 40)
    assert db.execute("select count(*) from public.webhook_events").fetchone() == (50,)
    videos = db.execute(
        "select sum(used)::int, sum(reserved)::int from public.budget_balances"
        " where scope = 'student_videos'"
    ).fetchone()
    assert videos == (40, 0)  # failed jobs released theirs; the 40 delivered settled


def test_database_restart_between_requests_is_survived(
    fal: FakeFal, make_user, postgres: EmbeddedPostgres
) -> None:
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    assert generations.get("/generations", headers=user.headers).status_code == 200
    postgres.stop()
    try:
        down = generations.get("/generations", headers=user.headers)
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "database_unavailable"
    finally:
        postgres.start()
    # the pool's stale connections are checked and replaced: no error after the restart
    assert generations.get("/generations", headers=user.headers).status_code == 200


def test_connections_killed_mid_session_are_replaced(
    fal: FakeFal, make_user, database_url: str
) -> None:
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    assert generations.get("/generations", headers=user.headers).status_code == 200
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where application_name = '' and pid <> pg_backend_pid()"
            " and datname = current_database()"
        )
    assert generations.get("/generations", headers=user.headers).status_code == 200


@pytest.fixture
def s3_that_drops_uploads() -> Iterator[str]:
    """An S3 endpoint that reads part of each request, then closes the connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    conn.recv(2048)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def test_storage_failing_mid_upload_leaves_nothing(
    fal: FakeFal,
    make_user,
    configure,
    db,
    s3_that_drops_uploads: str,
) -> None:
    user = make_user()
    submit_jobs(user, 1)
    configure(
        STORAGE_ENDPOINT_URL=s3_that_drops_uploads,
        STORAGE_ACCESS_KEY_ID="a",
        STORAGE_SECRET_ACCESS_KEY="b",
    )
    webhooks = TestClient(load_handler("webhooks").app)
    request_id = next(iter(fal.requests))
    body, headers = fal.delivery(request_id)
    response = webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)
    assert response.json() == {"outcome": "finishing"}  # the webhook copies nothing itself
    with logged("videogen.copies.worker") as records:
        assert run_copy_worker(max_polls=1) == 1
    codes = [getattr(r, "code", None) for r in records]
    assert codes == ["storage_unavailable"]
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    # kept `finishing` with its task waiting for the next attempt, not half-written
    assert db.execute("select status from public.jobs").fetchone() == ("finishing",)
    from videogen.copies.deps import get_copy_queue

    assert get_copy_queue().depth() == (1, 0)


def test_slow_fal_times_out_cleanly(fal: FakeFal, make_user, configure, db) -> None:
    """A submit whose answer does not come within its budget is not waited for longer, nor
    sent again: the job stays `queued` for fal's webhook (fal may hold the request)."""
    configure(FAL_SUBMIT_TIMEOUT_SECONDS="0.5")
    fal.submit_delay = 2
    user = make_user()
    generations = TestClient(load_handler("generations").app)
    response = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    row = db.execute("select status, submit_unconfirmed_at is not null from public.jobs")
    assert row.fetchone() == ("queued", True)
    assert db.execute(
        "select sum(used)::int from public.budget_balances where scope = 'student_videos'"
    ).fetchone() == (1,)
    assert len(fal.submits) == 1
