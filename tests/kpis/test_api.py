"""Admin KPI routes through the kpis Lambda handler: reads, validation, runs on EMR (moto)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.support.apigw import http_api_event, invoke
from tests.support.handlers import load_handler
from tests.support.users import User, register_user
from videogen.kpis import definitions as kpi
from videogen.settings import SettingsMissing


def today() -> date:
    """Read when asserted, not at import: a run that crosses midnight stays right."""
    return datetime.now(UTC).date()


@pytest.fixture
def admin(database_url: str) -> User:
    """The KPIs are deployment-wide: an operator reads them (issue 15)."""
    return register_user(database_url, "ops@deploy.example", role="operator")


@pytest.fixture
def student(database_url: str) -> User:
    return register_user(database_url, "pupil@school.example")


@pytest.fixture
def client() -> TestClient:
    return TestClient(load_handler("kpis").app)


def seed_kpis(db: psycopg.Connection) -> None:
    db.execute(
        """insert into public.kpi_spark_daily (job_date, jobs_total, jobs_succeeded, active_users,
               avg_duration_seconds, p50_duration_seconds, p95_duration_seconds, success_rate,
               cost_usd)
           values ('2026-11-01', 4, 3, 2, 30.5, 30, 60, 0.75, 1.2345),
                  ('2026-11-02', 0, 0, 0, null, null, null, null, 0),
                  ('2026-10-01', 9, 9, 9, 1, 1, 1, 1, 9)"""
    )
    db.execute(
        """insert into public.kpi_spark_daily_models (job_date, model, jobs_total, jobs_succeeded,
               success_rate, cost_usd)
           values ('2026-11-01', 'fal-ai/ltx-video', 4, 3, 0.75, 1.2345)"""
    )


def test_admin_reads_daily_rows_and_models(client: TestClient, admin: User, db) -> None:
    seed_kpis(db)
    response = client.get("/admin/kpis?from=2026-11-01&to=2026-11-02", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["time_zone"]) == ("2026-11-01", "2026-11-02", "UTC")
    assert [d["job_date"] for d in body["days"]] == ["2026-11-01", "2026-11-02"]
    first = body["days"][0]
    assert set(first) == {"job_date", *kpi.DAILY_COLUMNS}  # one list of KPIs, everywhere
    assert first["success_rate"] == 0.75 and first["cost_usd"] == 1.2345
    assert body["days"][1]["success_rate"] is None
    assert body["models"] == [
        {
            "job_date": "2026-11-01",
            "model": "fal-ai/ltx-video",
            "jobs_total": 4,
            "jobs_succeeded": 3,
            "jobs_failed": 0,
            "jobs_cancelled": 0,
            "avg_duration_seconds": None,
            "p50_duration_seconds": None,
            "p95_duration_seconds": None,
            "success_rate": 0.75,
            "cost_usd": 1.2345,
        }
    ]


def test_default_range_is_the_last_30_days(client: TestClient, admin: User) -> None:
    body = client.get("/admin/kpis", headers=admin.headers).json()
    assert body["to"] == today().isoformat()
    assert body["from"] == (today() - timedelta(days=29)).isoformat()


def test_students_and_school_admins_get_403_operator_only(
    client: TestClient, student: User, database_url: str
) -> None:
    """Deployment-wide figures span every school: not a school admin's (per-school KPIs
    come with issue 16)."""
    school_admin = register_user(database_url, "head@school.example", role="admin")
    for user in (student, school_admin):
        for method, path, body in (
            ("GET", "/admin/kpis", None),
            ("POST", "/admin/kpis/run", {"from": "2026-11-01", "to": "2026-11-02"}),
            ("GET", "/admin/kpis/runs/abc", None),
        ):
            response = client.request(method, path, headers=user.headers, json=body)
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "operator_only"


def test_anonymous_gets_401(client: TestClient) -> None:
    response = client.get("/admin/kpis")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-11-05&to=2026-11-01", "invalid_range"),
        ("from=2024-01-01&to=2026-11-01", "range_too_long"),
        (f"from=2026-11-01&to={(today() + timedelta(days=2)).isoformat()}", "date_in_future"),
        ("from=yesterday", "validation_error"),
        ("from=2026-02-30", "validation_error"),
    ],
)
def test_bad_ranges_are_refused(client: TestClient, admin: User, query: str, code: str) -> None:
    response = client.get(f"/admin/kpis?{query}", headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"from": "2026-11-05", "to": "2026-11-01"}, "invalid_range"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "range_too_long"),
        ({"from": "2026-11-01"}, "validation_error"),
        ({"from": "2026-11-01", "to": "soon"}, "validation_error"),
        ({"from": "2026-11-01", "to": "2026-11-02", "extra": 1}, "validation_error"),
    ],
)
def test_bad_run_requests_are_refused(
    client: TestClient, admin: User, body: dict[str, Any], code: str
) -> None:
    response = client.post("/admin/kpis/run", headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


# --- EMR Serverless (moto) ---


@pytest.fixture
def emr(aws: None, configure) -> dict[str, str]:
    emr = boto3.client("emr-serverless")
    app_id = emr.create_application(name="kpis", releaseLabel="emr-7.9.0", type="SPARK")[
        "applicationId"
    ]
    env = {
        "KPI_RUNNER_BACKEND": "emr",
        "EMR_APPLICATION_ID": app_id,
        "EMR_EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/videogen-emr-job",
        "EMR_ARTIFACTS_URI": "s3://videogen-artifacts/emr",
        "EMR_OUTPUT_URI": "s3://videogen-kpis/kpis",
        "EMR_LOG_URI": "s3://videogen-artifacts/logs",
        "EMR_DATABASE_URL_SSM_PARAMETER": "/videogen/prod/database-url",
        "EMR_DATABASE_CA_SSM_PARAMETER": "/videogen/prod/database-ca-cert",
    }
    configure(**env)
    return env


def test_backfill_starts_an_emr_job_run_and_reports_its_state(
    client: TestClient, admin: User, emr: dict[str, str]
) -> None:
    body = {"from": "2026-10-01", "to": "2026-10-31"}
    started = client.post("/admin/kpis/run", headers=admin.headers, json=body)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["state"] == "SUBMITTED" and (run["from"], run["to"]) == ("2026-10-01", "2026-10-31")

    job = boto3.client("emr-serverless").get_job_run(
        applicationId=emr["EMR_APPLICATION_ID"], jobRunId=run["run_id"]
    )["jobRun"]
    assert job.get("executionRole", job.get("executionRoleArn")) == emr["EMR_EXECUTION_ROLE_ARN"]
    submit = job["jobDriver"]["sparkSubmit"]
    assert submit["entryPoint"] == "s3://videogen-artifacts/emr/kpi_job.py"
    arguments = submit["entryPointArguments"]
    assert arguments[:4] == ["--start-date", "2026-10-01", "--end-date", "2026-10-31"]
    assert "s3://videogen-kpis/kpis" in arguments
    assert "/videogen/prod/database-url" in arguments
    ca = arguments.index("--database-ca-ssm-parameter")
    assert arguments[ca + 1] == "/videogen/prod/database-ca-cert"  # the job's TLS trust
    assert not any("postgresql://" in a for a in arguments)  # no database secret in a run
    params = submit["sparkSubmitParameters"]
    assert "--jars s3://videogen-artifacts/emr/postgresql.jar" in params
    assert "--py-files s3://videogen-artifacts/emr/videogen.zip" in params
    assert "spark.archives=s3://videogen-artifacts/emr/pydeps.tar.gz#pydeps" in params
    assert "spark.emr-serverless.driverEnv.PYTHONPATH=./pydeps" in params
    assert "spark.executor.memory" in params

    state = client.get(f"/admin/kpis/runs/{run['run_id']}", headers=admin.headers)
    assert state.status_code == 200, state.text
    assert state.json()["run_id"] == run["run_id"]
    assert state.json()["from"] == "2026-10-01"
    assert state.json()["state"] in {"SUBMITTED", "PENDING", "RUNNING", "SUCCESS"}


def test_unknown_run_id_is_404(client: TestClient, admin: User, emr: dict[str, str]) -> None:
    response = client.get("/admin/kpis/runs/00fakefakefake00", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "kpi_run_not_found"


def test_malformed_run_id_is_422(client: TestClient, admin: User) -> None:
    response = client.get("/admin/kpis/runs/" + "x" * 80, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_local_unknown_run_id_is_404(client: TestClient, admin: User, tmp_path, configure) -> None:
    configure(KPI_RUNS_DIR=str(tmp_path))
    response = client.get(f"/admin/kpis/runs/{'0' * 32}", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "kpi_run_not_found"


def test_emr_backend_without_its_settings_fails_at_start_naming_them(configure) -> None:
    configure(KPI_RUNNER_BACKEND="emr", EMR_APPLICATION_ID="app-1")
    with pytest.raises(SettingsMissing) as caught:
        load_handler("kpis")
    message = str(caught.value)
    for name in (
        "EMR_EXECUTION_ROLE_ARN",
        "EMR_ARTIFACTS_URI",
        "EMR_OUTPUT_URI",
        "EMR_DATABASE_URL_SSM_PARAMETER",
        "EMR_DATABASE_CA_SSM_PARAMETER",
    ):
        assert name in message
    assert "EMR_APPLICATION_ID" not in message


def test_emr_outage_is_503(client: TestClient, admin: User, emr: dict[str, str], configure) -> None:
    configure(EMR_APPLICATION_ID="00nosuchapp0000")
    response = client.post(
        "/admin/kpis/run", headers=admin.headers, json={"from": "2026-11-01", "to": "2026-11-01"}
    )
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "kpi_runner_unavailable"


@pytest.mark.lambda_runtime
def test_through_api_gateway_event(admin: User, db) -> None:
    seed_kpis(db)
    handler = load_handler("kpis").handler
    event = http_api_event(
        "GET", "/admin/kpis", query="from=2026-11-01&to=2026-11-01", headers=admin.headers
    )
    status, _, body = invoke(handler, event)
    assert status == 200 and body["days"][0]["jobs_total"] == 4


def test_kpis_handler_cold_start_imports_neither_boto3_nor_pyspark(database_url: str) -> None:
    """Import time is cold-start time: boto3 only when a run is started, pyspark never."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('h', 'functions/kpis/handler.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'pyspark') if m in sys.modules))\n"
    )
    env = {**os.environ, "APP_ENV": "local", "DATABASE_URL": database_url}
    env["SUPABASE_JWT_SECRET"] = "x" * 40
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
