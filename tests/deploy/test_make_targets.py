"""The deployment targets of the Makefile, as `make -n` prints them: they run in the small
ops venv (.venv-ops, requirements/ops.lock) instead of the developer venv, `make deploy
FORCE=1` passes osls --force, `make emr-artifacts` brings and passes the JDBC driver, and the
new operations targets call their scripts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_ONLY = ["package", "deploy", "emr-artifacts", "network", "reload-secrets", "layers"]


def dry_run(*args: str) -> list[str]:
    """The commands `make -n` would run (nothing is run), one per line."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def scripts(lines: list[str]) -> list[str]:
    return [line for line in lines if " infra/" in line and "python" in line]


@pytest.mark.parametrize("target", DEPLOY_ONLY)
def test_deploy_only_targets_run_in_the_ops_venv(target: str) -> None:
    lines = dry_run(target, "STAGE=prod")
    (script, *_) = scripts(lines)
    assert script.startswith(".venv-ops/bin/python infra/"), script
    assert not any(line.startswith(".venv/bin/") for line in lines), "no developer venv"
    installs = [line for line in lines if "pip install" in line]
    assert all("-r requirements/ops.lock" in line for line in installs), installs


def test_deploy_passes_force_only_when_asked() -> None:
    (forced,) = [
        line for line in dry_run("deploy", "STAGE=prod", "FORCE=1") if "osls deploy" in line
    ]
    assert " --force" in forced and "--stage prod" in forced
    (plain,) = [line for line in dry_run("deploy", "STAGE=prod") if "osls deploy" in line]
    assert "--force" not in plain


def test_emr_artifacts_gets_the_jdbc_driver_and_passes_its_path() -> None:
    lines = dry_run("emr-artifacts", "STAGE=prod", "JDBC_JAR=/opt/jdbc/postgresql-42.jar")
    assert any("libpostgresql-jdbc-java" in line for line in lines), "the jdbc-jar target runs"
    (script,) = scripts(lines)
    assert "infra/emr_artifacts.py --stage prod" in script
    assert "--jdbc-jar /opt/jdbc/postgresql-42.jar" in script


@pytest.mark.parametrize(
    ("target", "script"),
    [("network", "infra/network.py"), ("reload-secrets", "infra/reload_secrets.py")],
)
def test_operations_targets_call_their_scripts_for_the_stage(target: str, script: str) -> None:
    (line,) = scripts(dry_run(target, "STAGE=prod", "REGION=eu-central-1"))
    assert f"{script} --stage prod --region eu-central-1" in line


@pytest.mark.parametrize("target", ["deploy", "network", "reload-secrets"])
def test_stage_is_required(target: str) -> None:
    """Checked first, before the ops venv is built or anything reaches AWS."""
    done = subprocess.run(
        ["make", "--no-print-directory", target, "STAGE="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert f"usage: make {target} STAGE=<stage>" in done.stdout + done.stderr


def test_supabase_cli_cache_is_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "supabase/.temp/project-ref"],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0
