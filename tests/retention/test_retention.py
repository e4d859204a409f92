"""Issue 15, retention: the daily function deletes each school's videos older than its
`retention_days` (object and `files` row, through the same code as account erasure), keeps
the job marked, in bounded batches; a video storage refuses is left for the next run.
Through the real handler, against the embedded Postgres and the local S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emf import emf_records, named
from tests.support.handlers import load_handler
from tests.support.logs import json_lines
from tests.support.s3_faults import FailingDeletes
from tests.support.videos import (
    DEFAULT_SCHOOL,
    deletion_mark,
    has_row,
    make_school,
    make_video,
    stored_keys,
)

pytestmark = pytest.mark.lambda_runtime

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def run_retention() -> dict:
    return load_handler("retention").handler(SCHEDULED, None)


def test_old_videos_are_deleted_young_ones_kept_and_jobs_stay_marked(db, s3) -> None:
    old = make_video(db, s3, DEFAULT_SCHOOL, age_days=91)
    young = make_video(db, s3, DEFAULT_SCHOOL, age_days=89)

    summary = run_retention()

    assert summary["deleted"] == 1 and summary["failed"] == 0
    assert summary["schools"] == {str(DEFAULT_SCHOOL): 1}
    assert stored_keys(s3) == {young.key}
    assert not has_row(db, old) and has_row(db, young)
    assert deletion_mark(db, old) == (True, 90)  # "deleted after 90 days"
    assert deletion_mark(db, young) == (False, None)
    assert run_retention()["deleted"] == 0  # nothing left to do


def test_each_school_keeps_videos_for_its_own_retention(db, s3) -> None:
    week = make_school(db, retention_days=7)
    year = make_school(db, retention_days=365)
    short_old = make_video(db, s3, week, age_days=8)
    short_young = make_video(db, s3, week, age_days=6)
    long_kept = make_video(db, s3, year, age_days=100)
    long_old = make_video(db, s3, year, age_days=366)
    default_kept = make_video(db, s3, DEFAULT_SCHOOL, age_days=30)

    summary = run_retention()

    assert summary["schools"] == {str(week): 1, str(year): 1}
    assert stored_keys(s3) == {short_young.key, long_kept.key, default_kept.key}
    assert deletion_mark(db, short_old) == (True, 7)
    assert deletion_mark(db, long_old) == (True, 365)
    for kept in (short_young, long_kept, default_kept):
        assert has_row(db, kept)


@pytest.fixture
def failing_s3(local_s3, configure) -> Iterator[FailingDeletes]:
    proxy = FailingDeletes(local_s3.endpoint_url)
    configure(STORAGE_ENDPOINT_URL=proxy.url)
    yield proxy
    proxy.close()


def test_a_video_storage_refuses_keeps_its_row_for_the_next_run(
    db, s3, failing_s3: FailingDeletes, capsys
) -> None:
    refused, *others = (make_video(db, s3, DEFAULT_SCHOOL, age_days=100 + i) for i in range(3))
    failing_s3.refuse.add(refused.key)

    summary = run_retention()

    assert (summary["deleted"], summary["failed"]) == (2, 1)  # the others still went
    assert failing_s3.refused >= 1
    assert stored_keys(s3) == {refused.key}
    assert has_row(db, refused) and deletion_mark(db, refused) == (False, None)
    assert not any(has_row(db, v) for v in others)
    (record,) = named(emf_records(capsys.readouterr().out), "RetentionDeleted")
    assert record.values == {"RetentionDeleted": 2, "RetentionFailed": 1}
    assert record.dimensions == {}  # no school id: that is in the log line

    failing_s3.refuse.clear()  # storage is back: the next run finishes the job
    assert run_retention()["deleted"] == 1
    assert stored_keys(s3) == set()
    assert deletion_mark(db, refused) == (True, 90)


def test_a_run_is_bounded_and_the_next_run_goes_on(db, s3, configure) -> None:
    videos = [make_video(db, s3, DEFAULT_SCHOOL, age_days=95 + i) for i in range(5)]
    # a budget of 0 s: one batch per run, whatever its size
    configure(RETENTION_BATCH_SIZE="2", RETENTION_TIME_BUDGET_SECONDS="0")

    first = run_retention()
    assert (first["deleted"], first["batches"], first["more"]) == (2, 1, True)
    oldest_first = sorted(videos, key=lambda v: -videos.index(v))
    assert stored_keys(s3) == {v.key for v in oldest_first[2:]}
    assert run_retention()["deleted"] == 2
    last = run_retention()
    assert (last["deleted"], last["more"]) == (1, False)
    assert stored_keys(s3) == set()

    make_video(db, s3, DEFAULT_SCHOOL, age_days=95)
    make_video(db, s3, DEFAULT_SCHOOL, age_days=96)
    make_video(db, s3, DEFAULT_SCHOOL, age_days=97)
    configure(RETENTION_BATCH_SIZE="2", RETENTION_TIME_BUDGET_SECONDS="240")
    within_budget = run_retention()  # batches of 2 until none is left
    assert (within_budget["deleted"], within_budget["batches"]) == (3, 2)


def test_retention_can_be_paused_by_a_setting(db, s3, configure) -> None:
    video = make_video(db, s3, DEFAULT_SCHOOL, age_days=200)
    configure(RETENTION_ENABLED="false")
    assert run_retention() == {"paused": True}
    assert stored_keys(s3) == {video.key} and has_row(db, video)


def test_the_run_logs_a_summary_naming_the_schools(db, s3, configure) -> None:
    configure(LOG_LEVEL="INFO")
    make_video(db, s3, DEFAULT_SCHOOL, age_days=120)
    with json_lines() as lines:
        run_retention()
    (done,) = [line for line in lines if line.get("message") == "retention done"]
    assert done["deleted"] == 1
    assert done["schools"] == {str(DEFAULT_SCHOOL): 1}


def test_the_owner_sees_that_the_video_was_deleted_after_n_days(
    db, s3, generations, make_user
) -> None:
    user = make_user()
    week = make_school(db, retention_days=7)
    old = make_video(db, s3, week, age_days=10, user_id=user.id)
    young = make_video(db, s3, week, age_days=1, user_id=user.id)
    before = generations.get(f"/generations/{old.job_id}", headers=user.headers).json()
    assert before["video"] is not None and before["video_deleted"] is None

    run_retention()

    after = generations.get(f"/generations/{old.job_id}", headers=user.headers)
    assert after.status_code == 200, after.text
    body = after.json()
    assert body["status"] == "completed" and body["video"] is None
    assert body["video_deleted"]["kept_days"] == 7
    assert body["video_deleted"]["deleted_at"]
    listed = generations.get("/generations", headers=user.headers).json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[str(old.job_id)]["video_deleted"]["kept_days"] == 7
    assert by_id[str(young.job_id)]["video_deleted"] is None
    assert by_id[str(young.job_id)]["video"] is not None


def test_refused_prompts_lose_their_text_after_the_schools_retention(db, s3, make_user) -> None:
    """A safety event outlives the student's account, not the school's retention: past it,
    the prompt text goes and the event (rule, time) stays for the counts and the KPIs."""
    from fastapi.testclient import TestClient

    week = make_school(db, retention_days=7)
    head = make_user("admin", school=week)

    def event(school, age_days: int, prompt: str) -> int:
        (event_id,) = db.execute(
            """insert into public.safety_events (school_id, rule, prompt, created_at)
               values (%s, 'school', %s, now() - make_interval(days => %s)) returning id""",
            (school, prompt, age_days),
        ).fetchone()
        return event_id

    old = event(week, 8, "old words")
    young = event(week, 6, "young words")
    default_school = event(DEFAULT_SCHOOL, 8, "kept for 90 days")

    summary = run_retention()

    assert summary["prompts_removed"] == 1
    rows = {
        row[0]: row[1:]
        for row in db.execute(
            "select id, prompt, prompt_removed_at is not null, rule from public.safety_events"
            " where id = any(%s)",
            ([old, young, default_school],),
        )
    }
    assert rows[old] == (None, True, "school")
    assert rows[young] == ("young words", False, "school")
    assert rows[default_school] == ("kept for 90 days", False, "school")
    listed = TestClient(load_handler("admin").app).get("/safety/events", headers=head.headers)
    assert listed.status_code == 200, listed.text
    by_id = {e["id"]: e for e in listed.json()["items"]}
    assert by_id[old]["prompt"] is None and by_id[old]["prompt_removed_at"]
    assert by_id[young]["prompt"] == "young words" and by_id[young]["prompt_removed_at"] is None
    assert run_retention()["prompts_removed"] == 0
