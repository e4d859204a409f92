"""Issue 13, "Erasure": DELETE /me racing a copy in flight leaves no video behind.

The copy worker's `checkpoint` seam runs the deletion at an exact point of a real copy
(real webhook, real fake-fal media download, real S3 server, real Postgres): between the
upload and the final transaction, and inside the final transaction once the `files` row is
written but not committed (the interleaving that left an ownerless `files` row and its
object, still served to admins, before the fix).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.support.users import User
from videogen.copies.deps import get_copy_queue, get_copy_worker
from videogen.copies.worker import CopyStage

BUCKET = "videos"


@pytest.fixture
def finishing(fal: FakeFal, make_user) -> tuple[TestClient, User, str]:
    """A student's job that fal finished: `finishing`, its copy task queued, not yet run."""
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    user = make_user()
    job = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "tides"}, headers=user.headers
    ).json()
    request_id = next(iter(fal.requests))
    body, headers = fal.delivery(request_id)
    response = webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)
    assert response.json() == {"outcome": "finishing"}
    return generations, user, job["id"]


def _copy_with(job_id: str, checkpoint: Callable[[CopyStage, UUID], None]) -> str:
    worker = dataclasses.replace(get_copy_worker(), checkpoint=checkpoint)
    return worker.process(UUID(job_id))


def _assert_nothing_left(s3, db: psycopg.Connection, job_id: str, make_user) -> None:
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    assert db.execute("select count(*) from public.account_erasures").fetchone() == (0,)
    row = db.execute("select user_id, prompt from public.jobs where id = %s", (job_id,)).fetchone()
    assert row == (None, "[deleted]")
    admin = make_user("admin")
    admin_api = TestClient(load_handler("admin").app)
    items = admin_api.get("/admin/jobs", headers=admin.headers).json()["items"]
    (item,) = [i for i in items if i["id"] == job_id]
    assert item["video"] is None


def test_delete_me_racing_a_copy_in_flight_leaves_no_video(finishing, s3, db, make_user) -> None:
    """The deletion runs after the worker uploaded, before it records the file."""
    generations, user, job_id = finishing
    answers: list[int] = []

    def delete_now(stage: CopyStage, _job: UUID) -> None:
        if stage == "uploaded":
            assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1  # the upload is there
            answers.append(generations.delete("/me", headers=user.headers).status_code)

    assert _copy_with(job_id, delete_now) == "skipped"
    assert answers == [204]
    _assert_nothing_left(s3, db, job_id, make_user)


def _wait_for_lock_waiter(db: psycopg.Connection, done: threading.Event) -> None:
    """Returns once another session waits on a row lock (the deletion on the job's row)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not done.is_set():
        (waiting,) = db.execute(
            "select count(*) from pg_stat_activity"
            " where wait_event_type = 'Lock' and datname = current_database()"
        ).fetchone()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the deletion never waited for the copy's lock")


def test_delete_me_while_the_copy_commits_its_file_row_leaves_no_video(
    finishing, s3, db, make_user
) -> None:
    """The deletion starts while the worker holds the job's lock with the `files` row written
    but not committed: it must wait, then see the row and delete it with its object (before
    the fix, the row survived with no owner and its object with it)."""
    generations, user, job_id = finishing
    answers: list[int] = []
    finished = threading.Event()

    def delete() -> None:
        try:
            answers.append(generations.delete("/me", headers=user.headers).status_code)
        finally:
            finished.set()

    deleter = threading.Thread(target=delete)

    def race(stage: CopyStage, _job: UUID) -> None:
        if stage == "storing":
            deleter.start()
            _wait_for_lock_waiter(db, finished)

    assert _copy_with(job_id, race) == "completed"
    deleter.join(timeout=60)
    assert answers == [204]
    _assert_nothing_left(s3, db, job_id, make_user)


def test_copy_task_for_an_account_being_erased_downloads_nothing(
    finishing, s3, db, fal: FakeFal
) -> None:
    """A copy that starts once the deletion has marked the account stores nothing."""
    _, user, job_id = finishing
    db.execute("insert into public.account_erasures (user_id) values (%s)", (user.id,))
    assert _copy_with(job_id, lambda stage, job: None) == "completed"
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
    assert db.execute("select count(*) from public.files").fetchone() == (0,)
    assert fal.media_fetches == 0
    assert get_copy_queue().depth() == (1, 0)  # the queued task, untouched by a direct run
