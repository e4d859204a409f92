"""The job's Parquet output (file://, and S3 through moto's server) and the local runner."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import kpi_job
import pytest
from fastapi.testclient import TestClient

from tests.kpis.conftest import add_job, make_user
from tests.support.handlers import load_handler
from tests.support.users import register_user
from videogen.logs import JsonFormatter

pytestmark = pytest.mark.spark


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def jobs(db) -> None:
    user = make_user(db)
    add_job(db, user_id=user, created_at=at(1), duration=10)
    add_job(db, user_id=user, created_at=at(2), status="failed", model="fal-ai/veo3")
    add_job(db, user_id=user, created_at=at(3), duration=30)


def partitions(root: Path, dataset: str) -> set[str]:
    return {p.name for p in (root / dataset).glob("job_date=*")}


def test_parquet_replaces_only_the_window_partitions(
    spark: Any, database_url: str, db, jobs, tmp_path: Path
) -> None:
    out = tmp_path / "kpis"
    base = ["--jdbc-url", database_url, "--output-path", out.as_uri()]
    assert (
        kpi_job.main(["--start-date", "2026-11-01", "--end-date", "2026-11-03", *base], spark) == 0
    )
    assert partitions(out, "daily") == {f"job_date=2026-11-0{d}" for d in (1, 2, 3)}
    assert partitions(out, "models") == {f"job_date=2026-11-0{d}" for d in (1, 2, 3)}
    nov1_files = sorted((out / "daily" / "job_date=2026-11-01").iterdir())

    db.execute("delete from public.jobs where model = 'fal-ai/veo3'")  # Nov 2 now empty
    assert (
        kpi_job.main(["--start-date", "2026-11-02", "--end-date", "2026-11-03", *base], spark) == 0
    )
    assert sorted((out / "daily" / "job_date=2026-11-01").iterdir()) == nov1_files  # untouched
    assert partitions(out, "models") == {"job_date=2026-11-01", "job_date=2026-11-03"}

    daily = {r["job_date"].isoformat(): r for r in spark.read.parquet(str(out / "daily")).collect()}
    assert daily["2026-11-02"]["jobs_total"] == 0
    assert daily["2026-11-03"]["avg_duration_seconds"] == 30.0
    assert daily["2026-11-01"]["jobs_total"] == 1
    assert spark.read.parquet(str(out / "daily")).count() == 3  # no duplicate rows


def test_each_window_partition_is_one_parquet_file_without_checksum_sidecars(
    spark: Any, database_url: str, jobs, tmp_path: Path
) -> None:
    """The write's cost is per file (on file:// each costs Hadoop a `chmod` subprocess):
    one Parquet file per `job_date`, and no `.crc` sidecar beside it."""
    out = tmp_path / "kpis"
    args = ["--start-date", "2026-11-01", "--end-date", "2026-11-03", "--jdbc-url", database_url]
    assert kpi_job.main([*args, "--output-path", out.as_uri()], spark) == 0
    for dataset in ("daily", "models"):
        for partition in (out / dataset).glob("job_date=*"):
            files = sorted(f.name for f in partition.iterdir())
            assert len(files) == 1 and files[0].endswith(".parquet"), (partition, files)
    assert not list(out.rglob("*.crc"))


def test_the_summary_times_each_phase_of_the_run(
    spark: Any, database_url: str, jobs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="videogen.kpis.job")
    args = ["--start-date", "2026-11-01", "--end-date", "2026-11-03", "--jdbc-url", database_url]
    assert kpi_job.main([*args, "--output-path", (tmp_path / "kpis").as_uri()], spark) == 0
    record = next(r for r in caplog.records if getattr(r, "event", "") == "kpi_run_summary")
    summary = json.loads(JsonFormatter().format(record))
    phases = summary["phase_seconds"]
    assert list(phases) == ["read_aggregate", "postgres_write", "parquet_write"]
    assert all(seconds > 0 for seconds in phases.values())
    assert sum(phases.values()) <= summary["duration_seconds"] + 0.01


def test_s3_output_is_uploaded_to_an_s3_compatible_endpoint(
    spark: Any, database_url: str, jobs, s3_server: str, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="kpis")
    s3.put_object(Bucket="kpis", Key="out/daily/job_date=2026-10-01/old.parquet", Body=b"x")
    s3.put_object(Bucket="kpis", Key="out/daily/job_date=2026-11-02/stale.parquet", Body=b"x")
    args = ["--start-date", "2026-11-01", "--end-date", "2026-11-02", "--jdbc-url", database_url]
    args += ["--output-path", "s3://kpis/out", "--s3-endpoint-url", s3_server]
    assert kpi_job.main(args, spark) == 0

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="kpis")["Contents"]}
    assert "out/daily/job_date=2026-10-01/old.parquet" in keys  # outside the window
    assert "out/daily/job_date=2026-11-02/stale.parquet" not in keys  # replaced
    for dataset in ("daily", "models"):
        for day in ("2026-11-01", "2026-11-02"):
            prefix = f"out/{dataset}/job_date={day}/"
            assert any(k.startswith(prefix) and k.endswith(".parquet") for k in keys), prefix

    local = tmp_path / "download" / "job_date=2026-11-01"
    local.mkdir(parents=True)
    for key in keys:
        if key.startswith("out/daily/job_date=2026-11-01/"):
            s3.download_file("kpis", key, str(local / Path(key).name))
    (row,) = spark.read.parquet(str(local.parent)).collect()
    assert row["jobs_total"] == 1 and row["jobs_succeeded"] == 1


def test_database_url_from_ssm(spark: Any, database_url: str, db, jobs, aws: None) -> None:
    boto3.client("ssm").put_parameter(
        Name="/videogen/test/database-url", Value=database_url, Type="SecureString"
    )
    args = ["--start-date", "2026-11-01", "--end-date", "2026-11-01"]
    assert (
        kpi_job.main([*args, "--jdbc-url-ssm-parameter", "/videogen/test/database-url"], spark) == 0
    )
    assert db.execute("select jobs_total from public.kpi_spark_daily").fetchall() == [(1,)]


def test_local_runner_runs_the_job_script_end_to_end(
    database_url: str, db, configure, tmp_path: Path
) -> None:
    """POST /admin/kpis/run on the local stack: a real `python emr/kpi_job.py` subprocess."""
    configure(KPI_RUNS_DIR=str(tmp_path / "runs"), KPI_OUTPUT_PATH=str(tmp_path / "parquet"))
    user = make_user(db)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    add_job(db, user_id=user, created_at=today - timedelta(hours=20), duration=12)
    admin = register_user(database_url, "ops@deploy.example", role="operator")
    client = TestClient(load_handler("kpis").app)
    yesterday = (today - timedelta(days=1)).date().isoformat()
    started = client.post(
        "/admin/kpis/run", headers=admin.headers, json={"from": yesterday, "to": yesterday}
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    deadline = time.monotonic() + 120
    while True:
        state = client.get(f"/admin/kpis/runs/{run_id}", headers=admin.headers).json()
        if state["state"] in ("SUCCESS", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    log = (tmp_path / "runs" / f"{run_id}.log").read_text()
    assert state["state"] == "SUCCESS", log[-3000:]
    assert database_url not in log  # the URL travels in the environment, never logged
    report = client.get(
        f"/admin/kpis?from={yesterday}&to={yesterday}", headers=admin.headers
    ).json()
    assert report["days"][0]["jobs_total"] == 1
    assert report["days"][0]["avg_duration_seconds"] == 12.0
    assert (tmp_path / "parquet" / "daily" / f"job_date={yesterday}").is_dir()
    assert json.loads((tmp_path / "runs" / f"{run_id}.json").read_text())["exit_code"] == 0
