"""The KPI job on the EMR runtime it is deployed to (emr/release.json), not the developer's.

`make emr-runtime` builds `.venv-emr/`: the release's Python minor (3.9 for emr-7.x, Amazon
Linux 2023's python3) and the release's pyspark (3.5.x, ANSI mode off), nothing else the job
could lean on by accident. Here the job runs as EMR runs it: `spark-submit` with exactly the
parameters the production runner (`EmrServerlessRunner.job_driver`) sends, the artifacts
`make emr-artifacts` uploads (entry script alone, `videogen.zip` on `--py-files`, the JDBC jar
on `--jars`), the database URL read from SSM. The other tests in tests/kpis run the same job
on the developer pyspark (4.x, ANSI on); both must agree with the same expectations.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
import tomllib
from datetime import date
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from infra import emr_artifacts
from tests.kpis.conftest import JDBC_JAR, ROOT
from tests.kpis.test_job import (
    assert_matches_sql,
    assert_same,
    assert_week_known_answers,
    rows,
)
from videogen.kpis import definitions as kpi
from videogen.kpis.emr_runner import EmrServerlessRunner

pytestmark = pytest.mark.emr_runtime

RELEASE = json.loads((ROOT / "emr" / "release.json").read_text())
EMR_VENV = ROOT / ".venv-emr"
SHARED = ROOT / "layers" / "shared" / "python"
ENTRY = ROOT / "emr" / "kpi_job.py"
#: What the job may import beyond the standard library: pyspark comes with the release,
#: boto3 reads the database URL from SSM (docs/kpis.md, Runtime). Anything new needs a way
#: onto EMR first.
THIRD_PARTY = {"pyspark", "boto3"}
SSM_PARAMETER = "/videogen/test/database-url"


@pytest.fixture(scope="session")
def emr_python() -> Path:
    python = EMR_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make emr-runtime` (`make test` does)")
    return python


# --- static: every module the job imports, on the release's Python ----------------------


def _module_file(name: str) -> Path | None:
    """The project file of a module the job imports (videogen.* or a sibling of the entry)."""
    parts = name.split(".")
    for base in (SHARED, ENTRY.parent):
        path = base.joinpath(*parts)
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def job_imports() -> tuple[set[Path], set[str]]:
    """Follows the entry script's imports (function-level ones too) through the project.

    Returns the project files and the top-level names of everything else it imports.
    """
    files: set[Path] = set()
    outside: set[str] = set()
    pending = [ENTRY]
    while pending:
        path = pending.pop()
        if path in files:
            continue
        files.add(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                # the packages' __init__ run too: videogen/, videogen/kpis/
                found = [_module_file(".".join(parts[:i])) for i in range(1, len(parts) + 1)]
                if any(found):
                    pending += [f for f in found if f]
                elif name == names[0] and parts[0] not in ("__future__",):
                    outside.add(parts[0])
    return files, outside


def test_job_imports_only_the_stdlib_pyspark_and_boto3() -> None:
    _, outside = job_imports()
    stdlib = set(sys.stdlib_module_names)
    assert outside - stdlib == THIRD_PARTY, "a new package the EMR image may lack"


def test_every_module_the_job_imports_compiles_and_imports_on_the_release_python(
    emr_python: Path,
) -> None:
    files, _ = job_imports()
    modules = []
    for path in sorted(files - {ENTRY}):
        relative = path.relative_to(SHARED if path.is_relative_to(SHARED) else ENTRY.parent)
        modules.append(".".join(relative.with_suffix("").parts).removesuffix(".__init__"))
    script = (
        "import importlib, sys\n"
        "for f in sys.argv[1].split(','):\n"
        "    compile(open(f).read(), f, 'exec')\n"
        "for m in sys.argv[2].split(','):\n"
        "    importlib.import_module(m)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{SHARED}{os.pathsep}{ENTRY.parent}"}
    done = subprocess.run(
        [str(emr_python), "-c", script, ",".join(map(str, sorted(files))), ",".join(modules)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "videogen.logs" in modules and "kpi_io" in modules  # the walk did follow imports


def test_ruff_lints_every_module_the_job_imports_for_the_release_python() -> None:
    """pyproject's per-file-target-version covers the job's whole import graph."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    targets = config["tool"]["ruff"]["per-file-target-version"]
    wanted = "py" + RELEASE["python"].replace(".", "")
    files, _ = job_imports()
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        matched = [v for pattern, v in targets.items() if fnmatch(relative, pattern)]
        assert matched == [wanted], f"{relative}: add it to [tool.ruff.per-file-target-version]"


# --- end to end: spark-submit on the release's Python and Spark ------------------------


def spark_submit(
    emr_python: Path, driver: dict[str, Any], aws_endpoint: str
) -> subprocess.CompletedProcess[str]:
    """`spark-submit <sparkSubmitParameters> <entryPoint> <entryPointArguments>`, as EMR does,
    in a clean environment: the job's AWS calls (SSM) go to `aws_endpoint` (moto's server)."""
    submit = driver["sparkSubmit"]
    command = [
        str(emr_python.parent / "spark-submit"),
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        *shlex.split(submit["sparkSubmitParameters"]),
        submit["entryPoint"],
        *submit["entryPointArguments"],
    ]
    env = {name: os.environ[name] for name in ("PATH", "HOME", "JAVA_HOME") if name in os.environ}
    env.update(
        AWS_ENDPOINT_URL=aws_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        # EMR: spark.emr-serverless.driverEnv.PYSPARK_PYTHON would pick another Python
        PYSPARK_PYTHON=str(emr_python),
        PYSPARK_DRIVER_PYTHON=str(emr_python),
    )
    return subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=300
    )


def summary(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("{") and '"kpi_run_summary"' in line:
            return json.loads(line)
    raise AssertionError("no kpi_run_summary line")


def test_the_job_runs_on_the_release_runtime_as_emr_submits_it(
    emr_python: Path,
    spark: Any,
    database_url: str,
    db: psycopg.Connection,
    week,
    s3_server: str,
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "emr"
    emr_artifacts.build(ENTRY, JDBC_JAR, artifacts)
    out = tmp_path / "kpis"
    boto3.client("ssm", endpoint_url=s3_server).put_parameter(
        Name=SSM_PARAMETER, Value=database_url, Type="SecureString"
    )
    runner = EmrServerlessRunner(
        application_id="app",
        execution_role_arn="arn:aws:iam::123456789012:role/job",
        artifacts_uri=str(artifacts),  # s3://<bucket>/emr on EMR
        output_uri=out.as_uri(),
        database_url_ssm_parameter=SSM_PARAMETER,
    )
    start, end = date(2026, 11, 1), date(2026, 11, 5)
    done = spark_submit(emr_python, runner.job_driver(start, end), s3_server)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert database_url not in done.stdout + done.stderr

    ran = summary(done.stdout)
    assert ran["spark_version"] == RELEASE["spark"]
    assert ran["python_version"].rsplit(".", 1)[0] == RELEASE["python"]
    assert ran["ansi_mode"] == "false"  # Spark 3.5's default; the developer pyspark 4 has it on
    assert (ran["days_written"], ran["window_start"]) == (5, "2026-11-01")

    stored = assert_matches_sql(db, start, end)
    assert_week_known_answers(stored)

    # Parquet: the same rows as Postgres (read back with the developer Spark)
    parquet = {r["job_date"]: r.asDict() for r in spark.read.parquet(str(out / "daily")).collect()}
    assert sorted(parquet) == [r["job_date"] for r in stored]
    for row in stored:
        assert_same(parquet[row["job_date"]], row, list(kpi.DAILY_COLUMNS))
    stored_models = rows(
        db,
        "select * from public.kpi_spark_daily_models order by job_date, model",
    )
    models = spark.read.parquet(str(out / "models")).orderBy("job_date", "model").collect()
    assert [(r["job_date"], r["model"]) for r in models] == [
        (r["job_date"], r["model"]) for r in stored_models
    ]
    for got, want in zip(models, stored_models, strict=True):
        assert_same(got.asDict(), want, list(kpi.MODEL_COLUMNS))


def test_a_failed_run_exits_1_on_the_release_runtime(
    emr_python: Path, database_url: str, s3_server: str, tmp_path: Path
) -> None:
    """The SSM parameter does not exist: the job logs the failure and exits 1 (EMR: FAILED)."""
    artifacts = tmp_path / "emr"
    emr_artifacts.build(ENTRY, JDBC_JAR, artifacts)
    runner = EmrServerlessRunner(
        application_id="app",
        execution_role_arn="arn:aws:iam::123456789012:role/job",
        artifacts_uri=str(artifacts),
        output_uri=(tmp_path / "kpis").as_uri(),
        database_url_ssm_parameter="/videogen/test/missing",
    )
    day = date(2026, 11, 1)
    done = spark_submit(emr_python, runner.job_driver(day, day), s3_server)
    assert done.returncode == 1, (done.stdout + done.stderr)[-3000:]
    failed = [json.loads(line) for line in done.stdout.splitlines() if '"kpi_run_failed"' in line]
    assert failed and failed[0]["error"] == "ParameterNotFound"
