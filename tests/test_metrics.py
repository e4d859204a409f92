"""Business and operations metrics: the EMF records the real app and handlers write to
stdout (what CloudWatch Logs extracts metrics from), checked against the spec's rules by
tests/support/emf.py."""

from __future__ import annotations

import subprocess
import sys
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.emf import emf_records, named
from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler
from videogen import logs, metrics


def post(client: TestClient, user, prompt: str = "a comet", model: str = "fal-ai/ltx-video"):
    return client.post(
        "/generations", json={"model": model, "prompt": prompt}, headers=user.headers
    )


def test_record_follows_the_spec_and_keeps_ids_out_of_dimensions(capsys) -> None:
    job_id = uuid4()
    with logs.bind(job_id=job_id):
        metrics.submission_accepted("fal-ai/ltx-video", 0.2)
    (accepted,) = emf_records(capsys.readouterr().out)  # one record, both metrics
    assert accepted.namespace == "VideoGen"
    assert accepted.dimensions == {"Model": "fal-ai/ltx-video"}
    assert accepted.values == {"SubmissionAccepted": 1, "EstimatedSpendUsd": 0.2}
    assert accepted.units == {"SubmissionAccepted": "Count", "EstimatedSpendUsd": "None"}
    assert accepted.record["job_id"] == str(job_id)  # for Logs Insights, not a dimension


def test_the_namespace_names_the_stage_when_deployed(capsys, configure) -> None:
    """serverless.yml sets METRICS_NAMESPACE=VideoGen/<stage>: stages never mix."""
    configure(METRICS_NAMESPACE="VideoGen/prod")
    metrics.copy_succeeded(10.0)
    (m,) = emf_records(capsys.readouterr().out)
    assert m.namespace == "VideoGen/prod"


def test_a_record_without_dimensions_is_valid(capsys) -> None:
    metrics.copy_succeeded(1234.56)
    (m,) = emf_records(capsys.readouterr().out)
    assert m.dimensions == {} and m.record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]]
    assert m.values == {"CopySucceeded": 1, "CopyLatencyMs": 1234.6}
    assert m.units["CopyLatencyMs"] == "Milliseconds"


def test_metrics_module_needs_neither_boto3_nor_a_web_framework() -> None:
    code = (
        "import sys, videogen.metrics\n"
        "heavy = {'boto3', 'botocore', 'fastapi', 'starlette', 'pydantic', 'psycopg'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_accepted_submission_counts_with_its_estimated_cost(
    generations: TestClient, make_user, capsys
) -> None:
    user = make_user()
    capsys.readouterr()
    response = post(generations, user, model="fal-ai/veo3.1/fast")
    assert response.status_code == 201, response.text
    job = response.json()
    (m,) = named(emf_records(capsys.readouterr().out), metrics.SUBMISSION_ACCEPTED)
    assert m.dimensions == {"Model": "fal-ai/veo3.1/fast"}
    assert m.values["EstimatedSpendUsd"] == job["cost_estimate_usd"] > 0
    assert m.record["job_id"] == job["id"]

    # an idempotent replay is not a new submission
    headers = {**user.headers, "Idempotency-Key": "replay-key-1"}
    body = {"model": "fal-ai/ltx-video", "prompt": "again"}
    first = generations.post("/generations", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert generations.post("/generations", json=body, headers=headers).status_code == 200
    assert len(named(emf_records(capsys.readouterr().out), metrics.SUBMISSION_ACCEPTED)) == 1


def test_refused_submissions_count_by_error_code(
    generations: TestClient, fal: FakeFal, make_user, configure, db, capsys
) -> None:
    user = make_user()
    db.execute("update public.profiles set daily_video_cap = 1 where id = %s", (user.id,))
    configure(PROMPT_BLOCKLIST="weapon")
    generations = TestClient(load_handler("generations").app)
    fal.submit_responses.append((422, {"detail": "prompt: field required"}))
    capsys.readouterr()
    answers = [post(generations, user, p).json() for p in ("a weapon", "a", "a", "b")]
    codes = [a["error"]["code"] if a.get("error") else None for a in answers]
    # blocked; fal refused (the reservation released); accepted; over the daily video cap
    assert codes == ["prompt_refused", "provider_rejected", None, "budget_exceeded"]
    found = emf_records(capsys.readouterr().out)
    refused = named(found, metrics.SUBMISSION_REFUSED)
    assert [m.dimensions for m in refused] == [
        {"Reason": "prompt_refused"},
        {"Reason": "provider_rejected"},
        {"Reason": "budget_exceeded"},
    ]
    assert all(m.values == {"SubmissionRefused": 1} for m in refused)
    assert "job_id" not in refused[0].record  # refused before any job existed
    assert refused[1].record["job_id"] == answers[1]["error"]["details"]["job_id"]
    assert len(named(found, metrics.SUBMISSION_ACCEPTED)) == 1


def test_webhook_outcomes(webhooks: TestClient, generations, fal: FakeFal, make_user, capsys):
    user = make_user()
    job = post(generations, user).json()
    (request_id,) = fal.requests
    body, headers = fal.delivery(request_id)
    path = f"/webhooks/fal?{webhook_query(job['id'])}"
    capsys.readouterr()
    assert webhooks.post(path, content=body + b" ", headers=headers).status_code == 401
    wrong_token = f"/webhooks/fal?{webhook_query(job['id'], secret='not-ours')}"
    assert webhooks.post(wrong_token, content=body, headers=headers).status_code == 401
    assert webhooks.post(path, content=body, headers=headers).json() == {"outcome": "finishing"}
    assert webhooks.post(path, content=body, headers=headers).json() == {"outcome": "duplicate"}
    found = named(emf_records(capsys.readouterr().out), metrics.WEBHOOK_OUTCOME)
    assert [m.dimensions["Outcome"] for m in found] == [
        "rejected_signature",
        "rejected_token",
        "finishing",
        "duplicate",
    ]
    assert found[0].record["code"] == "invalid_signature"
    assert found[0].record["job_id"] == found[2].record["job_id"] == job["id"]
    assert "job_id" not in found[1].record  # a token that does not match names no job


def test_copy_success_and_latency_from_the_recorded_outcome(
    webhooks, generations, fal: FakeFal, make_user, db, capsys
) -> None:
    user = make_user()
    job = post(generations, user).json()
    (request_id,) = fal.requests
    path = f"/webhooks/fal?{webhook_query(job['id'])}"
    body, headers = fal.delivery(request_id)
    assert webhooks.post(path, content=body, headers=headers).status_code == 200
    # The outcome was recorded 7 s ago: the copy's latency counts from then.
    db.execute(
        "update public.jobs set updated_at = updated_at - interval '7 seconds' where id = %s",
        (job["id"],),
    )
    capsys.readouterr()
    assert run_copy_worker() == 1
    (m,) = named(emf_records(capsys.readouterr().out), metrics.COPY_SUCCEEDED)
    assert m.dimensions == {}
    assert 7000 <= m.values["CopyLatencyMs"] < 60_000
    assert m.record["job_id"] == job["id"]


def test_copy_failures_by_kind(webhooks, generations, fal, make_user, configure, capsys) -> None:
    configure(COPY_RETRY_BASE_SECONDS="0", COPY_MAX_ATTEMPTS="2")
    webhooks = TestClient(load_handler("webhooks").app)
    generations = TestClient(load_handler("generations").app)
    user = make_user()
    refused, flaky = post(generations, user, "one").json(), post(generations, user, "two").json()
    first, second = fal.requests
    fal.media_status = 503
    for job, request_id, url in (
        (refused, first, "https://fal.media.evil.example/v.mp4"),
        (flaky, second, None),
    ):
        body, headers = fal.delivery(request_id, video_url=url)
        path = f"/webhooks/fal?{webhook_query(job['id'])}"
        assert webhooks.post(path, content=body, headers=headers).status_code == 200
    capsys.readouterr()
    run_copy_worker()
    found = named(emf_records(capsys.readouterr().out), metrics.COPY_FAILED)
    seen = sorted((m.record["job_id"] == refused["id"], m.dimensions["Reason"]) for m in found)
    assert seen == [(False, "exhausted"), (False, "transient"), (True, "permanent")]
    codes = {m.dimensions["Reason"]: m.record["code"] for m in found}
    assert codes == {
        "permanent": "media_url_refused",
        "transient": "media_unavailable",
        "exhausted": "media_unavailable",
    }


@pytest.mark.lambda_runtime
def test_reconcile_results_per_job(generations, fal: FakeFal, make_user, db, capsys) -> None:
    user = make_user(role="teacher")
    done, waiting = post(generations, user, "one").json(), post(generations, user, "two").json()
    db.execute(
        """update public.jobs set created_at = created_at - interval '30 minutes',
                  submitted_at = submitted_at - interval '30 minutes'"""
    )
    next(iter(fal.requests.values())).state = "COMPLETED"
    capsys.readouterr()
    summary = load_handler("reconcile").handler({"source": "aws.scheduler"}, None)
    assert summary == {"checked": 2, "finished_finishing": 1, "still_queued": 1}
    found = named(emf_records(capsys.readouterr().out), metrics.RECONCILE_RESULT)
    assert {m.record["job_id"]: m.dimensions["Result"] for m in found} == {
        done["id"]: "finished_finishing",
        waiting["id"]: "still_queued",
    }
    assert all(m.values == {"ReconcileResult": 1} for m in found)
