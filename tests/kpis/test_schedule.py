"""The daily KPI start function (functions/kpi_schedule) through its real handler, against
moto's server (S3 and EMR Serverless over HTTP): it starts a run when the job's artifacts
are in the artifacts bucket, and skips the night with a warning and a metric, without a
Lambda error, when `make emr-artifacts` has not run yet (issue 14, "Order")."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.support.emf import emf_records
from tests.support.handlers import load_handler

BUCKET = f"videogen-prod-artifacts-{uuid.uuid4().hex[:8]}"  # moto's state outlives a server
ENTRY, JAR = "emr/kpi_job.py", "emr/postgresql.jar"


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def aws_server(s3_server: str, monkeypatch: pytest.MonkeyPatch, configure) -> Iterator[str]:
    """Every boto3 client of the handler talks to moto's server (AWS_ENDPOINT_URL)."""
    from videogen.logs import configure_logging

    configure_logging()  # before caplog's handler joins the root logger, not in the test
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    emr = boto3.client("emr-serverless")
    app_id = emr.create_application(name="kpis", releaseLabel="emr-7.9.0", type="SPARK")[
        "applicationId"
    ]
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    configure(
        APP_ENV="production",
        KPI_RUNNER_BACKEND="emr",
        METRICS_NAMESPACE="VideoGen/prod",
        EMR_APPLICATION_ID=app_id,
        EMR_EXECUTION_ROLE_ARN="arn:aws:iam::123456789012:role/videogen-emr-job",
        EMR_ARTIFACTS_URI=f"s3://{BUCKET}/emr",
        EMR_OUTPUT_URI="s3://videogen-prod-kpis/kpis",
        EMR_LOG_URI=f"s3://{BUCKET}/logs",
        EMR_DATABASE_URL_SSM_PARAMETER="/videogen/prod/database-url",
        EMR_DATABASE_CA_SSM_PARAMETER="/videogen/prod/database-ca-cert",
    )
    yield app_id


def upload(*keys: str) -> None:
    s3 = boto3.client("s3")
    for key in (ENTRY, JAR):
        s3.delete_object(Bucket=BUCKET, Key=key)  # what an earlier test uploaded
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"artifact")


def runs(app_id: str) -> list[dict[str, Any]]:
    emr = boto3.client("emr-serverless")
    try:
        return emr.list_job_runs(applicationId=app_id)["jobRuns"]
    except emr.exceptions.ResourceNotFoundException:
        # moto 5.2 answers ListJobRuns for an application without runs yet with "does not
        # exist"; the application itself is there (created by the fixture)
        emr.get_application(applicationId=app_id)
        return []


@pytest.mark.parametrize("present", [(), (ENTRY,), (JAR,)], ids=["none", "no-jar", "no-entry"])
def test_first_night_without_artifacts_is_skipped_with_a_warning_and_a_metric(
    aws_server: str,
    present: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    upload(*present)
    result = load_handler("kpi_schedule").handler({"source": "videogen.scheduler"}, None)
    wanted = {f"s3://{BUCKET}/{key}" for key in (ENTRY, JAR)} - {
        f"s3://{BUCKET}/{key}" for key in present
    }
    assert result == {"skipped": True, "reason": "artifacts_missing", "missing": sorted(wanted)}
    assert runs(aws_server) == [], "no EMR run started"
    out = capsys.readouterr().out
    (skipped,) = [m for m in emf_records(out) if "KpiRunSkipped" in m.values]
    assert skipped.namespace == "VideoGen/prod"
    assert skipped.dimensions == {"Reason": "artifacts_missing"}  # what the alarm reads
    assert skipped.values == {"KpiRunSkipped": 1}
    (warning,) = [r for r in caplog.records if getattr(r, "event", None) == "kpi_run_skipped"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("KPI job artifacts missing: run make emr-artifacts")
    assert f"BUCKET={BUCKET}" in warning.getMessage()
    assert warning.missing == sorted(wanted)  # type: ignore[attr-defined]


@pytest.mark.lambda_runtime
def test_schedule_starts_yesterday_and_today_once_the_artifacts_are_there(
    aws_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    upload(ENTRY, JAR)
    result = load_handler("kpi_schedule").handler({"source": "videogen.scheduler"}, None)
    assert (result["from"], result["to"]) == (
        (today() - timedelta(days=1)).isoformat(),
        today().isoformat(),
    )
    (run,) = runs(aws_server)
    job = boto3.client("emr-serverless").get_job_run(applicationId=aws_server, jobRunId=run["id"])[
        "jobRun"
    ]
    assert job["jobRunId"] == result["run_id"]
    arguments = job["jobDriver"]["sparkSubmit"]["entryPointArguments"]
    assert arguments[1] == result["from"] and arguments[3] == result["to"]
    assert not [m for m in emf_records(capsys.readouterr().out) if "KpiRunSkipped" in m.values]


def test_an_s3_outage_is_a_lambda_error_not_a_skip(aws_server: str, configure) -> None:
    """Only "not there" skips the night; an unreachable S3 fails the invocation, so the KPI
    start alarm fires (a broken endpoint stands in for the outage)."""
    from videogen.kpis.errors import KpiRunnerUnavailable

    configure(AWS_ENDPOINT_URL="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(KpiRunnerUnavailable):
        load_handler("kpi_schedule").handler({"source": "videogen.scheduler"}, None)
