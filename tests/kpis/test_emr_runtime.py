"""The KPI job on the EMR runtime it is deployed to (emr/release.json), not the developer's.

`make emr-runtime` builds `.venv-emr/`: the release's Python minor (3.9 for emr-7.x, Amazon
Linux 2023's python3) and the release's pyspark (3.5.x, ANSI mode off), nothing else the job
could lean on by accident: not even boto3, which AWS does not promise the image has. Here the
job runs as EMR runs it: `spark-submit` with exactly the parameters the production runner
(`EmrServerlessRunner.job_driver`) sends, the artifacts `make emr-artifacts` uploads (entry
script alone, `videogen.zip` on `--py-files`, the JDBC jar on `--jars`, `pydeps.tar.gz` with
boto3 on `spark.archives`), the database URL read from SSM. The other tests in tests/kpis run
the same job on the developer pyspark (4.x, ANSI on); both must agree with the same
expectations.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Callable
from datetime import date
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from infra import emr_artifacts
from tests.kpis.conftest import JDBC_JAR, ROOT, TlsDatabase
from tests.kpis.test_job import (
    assert_matches_sql,
    assert_same,
    assert_week_known_answers,
    rows,
)
from tests.kpis.test_scopes import assert_scopes_match_sql
from tests.support.tls import make_ca
from videogen.kpis import definitions as kpi
from videogen.kpis.emr_runner import EmrServerlessRunner

pytestmark = pytest.mark.emr_runtime

RELEASE = json.loads((ROOT / "emr" / "release.json").read_text())
EMR_VENV = ROOT / ".venv-emr"
SHARED = ROOT / "layers" / "shared" / "python"
ENTRY = ROOT / "emr" / "kpi_job.py"
#: What the job may import beyond the standard library: pyspark comes with the release,
#: boto3 (the SSM read) travels in pydeps.tar.gz (docs/kpis.md, Runtime). Anything new goes
#: into requirements/emr-job.txt first.
THIRD_PARTY = {"pyspark", "boto3"}
SSM_PARAMETER = "/videogen/test/database-url"
CA_PARAMETER = "/videogen/test/database-ca-cert"
#: an executor JVM of its own (2 cores, 1 GB; Spark's standalone mode on one machine)
LOCAL_CLUSTER = "local-cluster[1,2,1024]"


@pytest.fixture(scope="session")
def emr_python() -> Path:
    python = EMR_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make emr-runtime` (`make test` does)")
    return python


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make emr-artifacts` uploads (s3://<bucket>/emr on EMR), pydeps from the real lock."""
    out = tmp_path_factory.mktemp("emr")
    emr_artifacts.build(ENTRY, JDBC_JAR, out)
    return out


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
    lock = (ROOT / "requirements" / "emr-job.lock").read_text()
    shipped = set(re.findall(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE))
    assert THIRD_PARTY - {"pyspark"} <= shipped, "the job imports it: ship it in pydeps"


# --- pydeps: what the job brings, checked on the release's Python ------------------------


def test_the_release_runtime_has_no_boto3_of_its_own(emr_python: Path) -> None:
    """.venv-emr mirrors an image without boto3: what makes the job work is pydeps."""
    done = subprocess.run(
        [str(emr_python), "-c", "import boto3"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=False,
    )
    assert done.returncode == 1, "boto3 in .venv-emr: rm -rf .venv-emr; make emr-runtime"
    assert "ModuleNotFoundError: No module named 'boto3'" in done.stderr


def test_pydeps_is_a_consistent_set_on_the_release_python(
    emr_python: Path, artifacts: Path, tmp_path: Path
) -> None:
    """`pip check` on 3.9 itself: markers such as botocore's `urllib3<1.27; python_version <
    "3.10"` are evaluated for the release's Python, not the build host's."""
    with tarfile.open(artifacts / "pydeps.tar.gz") as archive:
        archive.extractall(tmp_path / "pydeps", filter="data")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path / "pydeps")}
    check = [str(emr_python), "-m", "pip", "check", "--disable-pip-version-check"]
    done = subprocess.run(check, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = "import boto3, urllib3; print(boto3.__version__, urllib3.__version__, boto3.__file__)"
    done = subprocess.run(
        [str(emr_python), "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    boto3_version, urllib3_version, where = done.stdout.split()
    assert f"boto3=={boto3_version}" in (ROOT / "requirements" / "emr-job.lock").read_text()
    assert urllib3_version.startswith("1.26.")  # botocore's bound on Python < 3.10
    assert where.startswith(str(tmp_path / "pydeps"))


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


DRIVER_ENV = re.compile(r"^spark\.emr-serverless\.driverEnv\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
ARCHIVES = re.compile(r"^spark\.archives=(.+)$")


def driver_container(parameters: list[str], workdir: Path) -> dict[str, str]:
    """The EMR driver's working directory and environment, from the run's parameters.

    On EMR Serverless every `spark.archives` entry `<uri>#<name>` is unpacked as ./<name> in
    the driver's working directory before its Python starts (AWS's samples point
    PYSPARK_PYTHON at ./environment/bin/python that way), and `driverEnv.KEY=value` becomes the
    driver's environment. Local mode unpacks archives elsewhere, and too late for the driver:
    into SparkFiles' root (/tmp/spark-*/userFiles-*/<name>) when the SparkContext starts,
    after the driver's Python (which imports boto3 first) is running. So the container's
    layout is made here, from the same parameters; Spark still gets `spark.archives` and
    unpacks it too, which checks that Spark accepts the archive.
    """
    env: dict[str, str] = {}
    workdir.mkdir(parents=True, exist_ok=True)
    for i, parameter in enumerate(parameters):
        if i == 0 or parameters[i - 1] != "--conf":
            continue
        if match := DRIVER_ENV.match(parameter):
            env[match[1]] = match[2]
        elif match := ARCHIVES.match(parameter):
            for entry in match[1].split(","):
                uri, _, name = entry.partition("#")
                with tarfile.open(uri) as archive:
                    archive.extractall(workdir / (name or Path(uri).name), filter="data")
    return env


def spark_submit(
    emr_python: Path,
    driver: dict[str, Any],
    aws_endpoint: str,
    workdir: Path,
    master: str = "local[2]",
) -> subprocess.CompletedProcess[str]:
    """`spark-submit <sparkSubmitParameters> <entryPoint> <entryPointArguments>`, as EMR does,
    in a clean environment and the driver container's layout (`driver_container`): the job's
    AWS calls (SSM) go to `aws_endpoint` (moto's server). `local-cluster[N,cores,MB]` runs N
    executors as JVMs of their own, as EMR's are (each in its container): what they need
    must reach them with the job, not through the driver's memory or files."""
    submit = driver["sparkSubmit"]
    parameters = shlex.split(submit["sparkSubmitParameters"])
    container_env = driver_container(parameters, workdir)
    command = [
        str(emr_python.parent / "spark-submit"),
        "--master",
        master,
        "--conf",
        "spark.ui.enabled=false",
        *parameters,
        submit["entryPoint"],
        *submit["entryPointArguments"],
    ]
    env = {name: os.environ[name] for name in ("PATH", "HOME", "JAVA_HOME") if name in os.environ}
    env.update(container_env)  # PYTHONPATH=./pydeps: boto3 comes from the archive only
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
        command, capture_output=True, text=True, env=env, cwd=workdir, check=False, timeout=300
    )


def summary(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("{") and '"kpi_run_summary"' in line:
            return json.loads(line)
    raise AssertionError("no kpi_run_summary line")


def production_runner(artifacts: Path, output: Path) -> EmrServerlessRunner:
    """The runner as production configures it: both SSM names, the artifacts' location."""
    return EmrServerlessRunner(
        application_id="app",
        execution_role_arn="arn:aws:iam::123456789012:role/job",
        artifacts_uri=str(artifacts),  # s3://<bucket>/emr on EMR
        output_uri=output.as_uri(),
        database_url_ssm_parameter=SSM_PARAMETER,
        database_ca_ssm_parameter=CA_PARAMETER,
    )


def put_database(aws_endpoint: str, url: str, ca_pem: str) -> None:
    """What docs/deploy.md step 7 stores: the URL (SecureString) and the CA (String)."""
    ssm = boto3.client("ssm", endpoint_url=aws_endpoint)
    ssm.put_parameter(Name=SSM_PARAMETER, Value=url, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=CA_PARAMETER, Value=ca_pem, Type="String", Overwrite=True)


def test_the_job_runs_on_the_release_runtime_as_emr_submits_it(
    emr_python: Path,
    spark: Any,
    tls_database: Callable[..., TlsDatabase],
    db: psycopg.Connection,
    week,
    s3_server: str,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    """Production's database shape too: `sslmode=verify-full` behind a TLS-terminating
    pooler, the CA from SSM; every connection (schema, read slices, upsert) is verified."""
    out = tmp_path / "kpis"
    tls = tls_database()
    put_database(s3_server, tls.url, tls.ca_pem)
    before = len(tls.pooler.startups)
    start, end = date(2026, 11, 1), date(2026, 11, 5)
    driver = production_runner(artifacts, out).job_driver(start, end)
    done = spark_submit(emr_python, driver, s3_server, tmp_path / "driver", LOCAL_CLUSTER)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert (tmp_path / "driver" / "pydeps" / "boto3" / "__init__.py").is_file()
    assert tls.url not in done.stdout + done.stderr
    assert len(tls.pooler.startups) - before >= 3  # all through the TLS relay

    ran = summary(done.stdout)
    assert ran["spark_version"] == RELEASE["spark"]
    assert ran["python_version"].rsplit(".", 1)[0] == RELEASE["python"]
    assert ran["ansi_mode"] == "false"  # Spark 3.5's default; the developer pyspark 4 has it on
    # spark-submit's master stands (the job used to force local[*]), and the JDBC read's
    # slices ran in the executor JVM, each opening its own verified connection
    assert ran["spark_master"] == LOCAL_CLUSTER
    assert re.search(
        r"Finished task \S+ in stage 0\.0 \(TID \d+\) in \d+ ms on \S+ \(executor 0\)",
        done.stderr,
    ), done.stderr[-3000:]
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


def test_a_server_certificate_the_ca_did_not_sign_fails_the_run_on_the_release_runtime(
    emr_python: Path,
    tls_database: Callable[..., TlsDatabase],
    db: psycopg.Connection,
    s3_server: str,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    """Someone else's CA in SSM: pgjdbc refuses the pooler's certificate, the job exits 1
    (EMR: FAILED) and says why in its failure line; nothing is written."""
    put_database(s3_server, tls_database().url, make_ca("Someone Else's CA").cert_pem)
    day = date(2026, 11, 1)
    driver = production_runner(artifacts, tmp_path / "kpis").job_driver(day, day)
    done = spark_submit(emr_python, driver, s3_server, tmp_path / "driver")
    assert done.returncode == 1, (done.stdout + done.stderr)[-3000:]
    failed = [json.loads(line) for line in done.stdout.splitlines() if '"kpi_run_failed"' in line]
    assert failed, done.stdout[-3000:]
    cause = failed[0]["cause"]
    assert cause.startswith("org.postgresql.util.PSQLException: SSL error: PKIX path"), cause
    assert db.execute("select count(*) from public.kpi_spark_daily").fetchone() == (0,)
    assert not (tmp_path / "kpis").exists()


def test_a_failed_run_exits_1_on_the_release_runtime(
    emr_python: Path, database_url: str, s3_server: str, artifacts: Path, tmp_path: Path
) -> None:
    """The SSM parameter does not exist: the job logs the failure and exits 1 (EMR: FAILED)."""
    runner = EmrServerlessRunner(
        application_id="app",
        execution_role_arn="arn:aws:iam::123456789012:role/job",
        artifacts_uri=str(artifacts),
        output_uri=(tmp_path / "kpis").as_uri(),
        database_url_ssm_parameter="/videogen/test/missing",
    )
    day = date(2026, 11, 1)
    done = spark_submit(emr_python, runner.job_driver(day, day), s3_server, tmp_path / "driver")
    assert done.returncode == 1, (done.stdout + done.stderr)[-3000:]
    failed = [json.loads(line) for line in done.stdout.splitlines() if '"kpi_run_failed"' in line]
    assert failed and failed[0]["error"] == "ParameterNotFound"


def test_per_school_and_per_class_kpis_on_the_release_runtime(
    emr_python: Path,
    spark: Any,
    tls_database: Callable[..., TlsDatabase],
    db: psycopg.Connection,
    campus: dict[str, Any],
    s3_server: str,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    """Issue 16: the same run, on Spark 3.5 and Python 3.9, writes the per-school and
    per-class tables (checked against plain SQL) and their Parquet by day and school."""
    out = tmp_path / "kpis"
    tls = tls_database()
    put_database(s3_server, tls.url, tls.ca_pem)
    start, end = date(2026, 11, 1), date(2026, 11, 3)
    driver = production_runner(artifacts, out).job_driver(start, end)
    done = spark_submit(emr_python, driver, s3_server, tmp_path / "driver")
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    ran = summary(done.stdout)
    assert (ran["school_rows_written"], ran["class_rows_written"]) == (5, 3)

    found = assert_scopes_match_sql(db, start, end)
    parquet = spark.read.parquet(str(out / "schools")).collect()
    assert sorted((r["job_date"], r["school_id"]) for r in parquet) == [
        (r["job_date"], str(r["school_id"])) for r in found["school"]
    ]
    for got in parquet:
        want = next(
            r
            for r in found["school"]
            if (r["job_date"], str(r["school_id"])) == (got["job_date"], got["school_id"])
        )
        assert_same(got.asDict(), want, list(kpi.SCOPE_COLUMNS))
