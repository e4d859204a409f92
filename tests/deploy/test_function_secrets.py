"""Each function is deployed with exactly the secrets of the adapters it is made of.

For every function of the packaged template, with its own environment (the template's, as
Lambda resolves it) plus placeholders for the secrets its VIDEOGEN_SSM_SECRETS names:
- it starts, and builds every adapter its routes use: the list is enough;
- without any one of its required secrets, its cold start fails naming that secret, and an
  optional one (the legacy JWT secret) is needed once JWKS verification is off: the list
  holds nothing the function does not use;
- its IAM role may read those parameters and no other (test_template.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from infra import secrets_wrapper
from tests.support.tls import make_ca

from .conftest import Packaged

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = {
    "Auth": "auth",
    "Generations": "generations",
    "Webhooks": "webhooks",
    "CopyWorker": "copy_worker",
    "Admin": "admin",
    "Kpis": "kpis",
    "Reconcile": "reconcile",
    "Retention": "retention",
    "KpiSchedule": "kpi_schedule",
}
HTTP_FUNCTIONS = ("Auth", "Generations", "Webhooks", "Admin", "Kpis")
PLACEHOLDERS = {
    "DATABASE_URL": "postgresql://app@db.invalid:6543/postgres?sslmode=verify-full",
    "DATABASE_CA_CERT": make_ca().cert_pem,
}


def lambda_environment(packaged: Packaged, name: str) -> tuple[dict[str, str], list[Any]]:
    """The function's variables as Lambda sets them, and its secrets spec."""
    variables = packaged.resources[f"{name}LambdaFunction"]["Properties"]["Environment"]
    env: dict[str, str] = {}
    for key, value in variables["Variables"].items():
        # CloudFormation expressions (Ref, GetAtt, Sub) resolve at deploy: a stand-in will do
        env[key] = value if isinstance(value, str) else f"https://{key.lower()}.invalid"
    spec = secrets_wrapper.parse_spec(env.pop("VIDEOGEN_SSM_SECRETS", ""))
    env.pop("AWS_LAMBDA_EXEC_WRAPPER")  # it loads the secrets: here they are set directly
    # what the Lambda runtime itself sets (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
    env.update(
        AWS_REGION=packaged.template.get("Region", "eu-west-3"),
        AWS_LAMBDA_FUNCTION_NAME=f"videogen-ci-{name}",
        PATH=os.environ["PATH"],
        HOME=tempfile.gettempdir(),
        TMPDIR=tempfile.gettempdir(),
    )
    return env, spec


def probe(function: str, variants: list[dict[str, str]]) -> list[dict[str, Any]]:
    answer = subprocess.run(
        [sys.executable, "-m", "tests.support.function_probe", function],
        input=json.dumps(variants),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(HANDLERS))
def test_each_function_gets_exactly_the_secrets_it_uses(packaged: Packaged, name: str) -> None:
    env, spec = lambda_environment(packaged, name)
    listed = {var for var, _, _ in spec}
    secrets = {var: PLACEHOLDERS.get(var, f"{var.lower()}-value") for var in listed}
    required = sorted(var for var, _, is_required in spec if is_required)
    optional = sorted(var for var, _, is_required in spec if not is_required)

    variants = [{**env, **secrets}]
    variants += [{**env, **{k: v for k, v in secrets.items() if k != var}} for var in required]
    no_jwks = {**env, "JWT_JWKS_ENABLED": "false"}
    variants += [{**no_jwks, **{k: v for k, v in secrets.items() if k != var}} for var in optional]
    results = probe(HANDLERS[name], variants)

    assert "error" not in results[0], f"{name} does not start with its own secrets: {results[0]}"
    if name in HTTP_FUNCTIONS:  # its routes' adapters were built, not just imported
        assert "get_database" in results[0]["built"], results[0]
    for var, result in zip(required + optional, results[1:], strict=True):
        assert "error" in result, f"{name} starts without {var}: it need not have it"
        assert result["error"] == "SettingsMissing", result
        assert var in result["message"], result


def test_the_kpi_schedule_reads_no_secret_at_all(packaged: Packaged) -> None:
    """Starting an EMR run needs no secret: the job reads its own from SSM with its role."""
    variables = packaged.resources["KpiScheduleLambdaFunction"]["Properties"]["Environment"]
    assert "VIDEOGEN_SSM_SECRETS" not in variables["Variables"]
    policies = packaged.resources["KpiScheduleRole"]["Properties"]["Policies"]
    assert "ssm:" not in json.dumps(policies)
