"""`make smoke` (infra/smoke.py, infra/smoke_local.py): the deployment's end-to-end check,
run here against the local stack as `make run` serves it (the fal simulator calls the webhook
back, the local KPI runner runs the Spark job), and its stage lookup against moto's
CloudFormation."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
import yaml
from moto import mock_aws

from infra import smoke, smoke_local
from tests.deploy.conftest import Packaged
from tests.support.local_server import kpi_settings, local_stack
from tests.support.users import PASSWORD
from videogen.generations.catalog import KLING, LTX, VEO31_FAST
from videogen.generations.service import list_models

EMAIL = "smoke@school.example"
REGION = "eu-west-3"
STEP = re.compile(r"^(\d+)/(\d+) (.{22}) (OK  |FAIL|SKIP) +(\d+\.\d\d) s  (.*)$")


def step_lines(out: str) -> list[re.Match[str]]:
    """The one-line-per-step report: number/total, name, status, seconds, detail."""
    return [m for line in out.splitlines() if (m := STEP.match(line))]


@pytest.fixture
def stack(configure, s3_endpoint: str, tmp_path: Path) -> Iterator[str]:
    """`make run`'s stack, its KPI runner writing Parquet to the S3 server."""
    output = f"s3://kpis/smoke-{uuid.uuid4().hex[:8]}"
    configure(**kpi_settings(tmp_path / "runs", s3_endpoint, output))
    with local_stack(configure, simulator_delay=0.2) as base:
        yield base


@pytest.fixture
def admin(stack: str, database_url: str) -> str:
    """The smoke account, prepared as `make smoke` does locally: registered, made an admin."""
    smoke_local.prepare(stack, database_url, EMAIL, PASSWORD)
    return EMAIL


@pytest.mark.spark
def test_make_smoke_passes_against_the_local_stack(
    stack: str, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """What `make smoke` runs without STAGE: prepare the account, then every step OK, the
    video's Range request answered 206 and the KPI run reaching SUCCESS."""
    monkeypatch.setenv("SMOKE_EMAIL", EMAIL)
    monkeypatch.setenv("SMOKE_PASSWORD", PASSWORD)
    code = smoke_local.main(["--api-url", stack, "--database-url", database_url])
    out = capsys.readouterr().out
    assert code == 0, out
    steps = step_lines(out)
    names = [m[3].strip() for m in steps]
    assert names == [
        "API reachable",
        "sign in",
        "JWT authorizer",
        "submit generation",
        "webhook completes job",
        "video via signed URL",
        "KPI run",
    ], out
    assert all(m[4] == "OK  " for m in steps), out
    detail = {m[3].strip(): m[6] for m in steps}
    assert "access token HS256" in detail["sign in"]  # the local identity's; RS256 deployed
    assert "401 without, 401 tampered" in detail["JWT authorizer"]
    assert detail["submit generation"].startswith("fal-ai/ltx-video {} ($0.02)")  # cheapest
    assert "same job on replay" in detail["submit generation"]
    assert detail["webhook completes job"].endswith("> completed")
    assert "200 video/mp4" in detail["video via signed URL"]
    assert "Range bytes=0-1023: 206" in detail["video via signed URL"]
    assert "SUCCESS, today's KPIs count 1 job(s)" in detail["KPI run"]
    assert out.rstrip().endswith("smoke test passed")
    assert PASSWORD not in out and "X-Amz-Signature" not in out


def test_wrong_password_fails_at_sign_in_without_printing_it(admin: str, stack: str, capsys):
    wrong = "not-the-Smoke-password-1"
    code = smoke.main(["--api-url", stack], {"SMOKE_EMAIL": admin, "SMOKE_PASSWORD": wrong})
    out = capsys.readouterr().out
    assert code == 1
    steps = step_lines(out)
    assert [(m[3].strip(), m[4]) for m in steps] == [("API reachable", "OK  "), ("sign in", "FAIL")]
    assert "POST /auth/login answered 401 invalid_credentials" in steps[-1][6]
    assert "smoke test FAILED at step 2 (sign in)" in out
    assert wrong not in out and PASSWORD not in out


def test_a_token_not_signed_as_required_fails_at_sign_in(admin: str, stack: str, capsys):
    """Deployed, the token must be RS256 (API Gateway's authorizer); the local one is HS256."""
    code = smoke.main(
        ["--api-url", stack, "--expect-alg", "RS256"],
        {"SMOKE_EMAIL": admin, "SMOKE_PASSWORD": PASSWORD},
    )
    out = capsys.readouterr().out
    assert code == 1
    (*_, failed) = step_lines(out)
    assert failed[3].strip() == "sign in" and failed[4] == "FAIL"
    assert "the access token is HS256, API Gateway's JWT authorizer needs RS256" in failed[6]


def test_a_webhook_that_never_comes_fails_after_the_timeout(
    configure, database_url: str, capsys
) -> None:
    with local_stack(configure, simulator_delay=60) as base:
        smoke_local.prepare(base, database_url, EMAIL, PASSWORD)
        code = smoke.main(
            ["--api-url", base, "--job-timeout", "1", "--skip-kpis"],
            {"SMOKE_EMAIL": EMAIL, "SMOKE_PASSWORD": PASSWORD},
        )
        out = capsys.readouterr().out
        job_id = re.search(r"job ([0-9a-f-]{36})", out)[1]  # type: ignore[index]
        http = httpx.Client(base_url=base)
        token = http.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()
        cancel = http.post(  # the simulator's timer is stopped, not left to fire later
            f"/generations/{job_id}/cancel",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert cancel.status_code in (200, 202), cancel.text
    assert code == 1
    (*_, failed) = step_lines(out)
    assert (failed[3].strip(), failed[4]) == ("webhook completes job", "FAIL")
    assert f"job {job_id} not finished within 1 s (statuses seen: submitted)" in failed[6]


def test_skip_kpis_prints_skip(admin: str, stack: str, capsys) -> None:
    code = smoke.main(
        ["--api-url", stack, "--skip-kpis"], {"SMOKE_EMAIL": admin, "SMOKE_PASSWORD": PASSWORD}
    )
    out = capsys.readouterr().out
    assert code == 0, out
    (*_, last) = step_lines(out)
    assert (last[3].strip(), last[4], last[6]) == ("KPI run", "SKIP", "--skip-kpis")


def test_credentials_come_from_the_environment(capsys) -> None:
    code = smoke.main(["--api-url", "http://127.0.0.1:9"], {"SMOKE_EMAIL": EMAIL})
    assert code == 2
    assert "set SMOKE_EMAIL and SMOKE_PASSWORD" in capsys.readouterr().err


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_stage_reads_the_api_url_from_the_stack_and_requires_rs256(aws: None, capsys) -> None:
    """`make smoke STAGE=prod`: HttpApiUrl of videogen-prod, then the API itself (here an
    address nothing answers on, so the run stops at the first request)."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"HttpApiUrl": {"Value": "http://127.0.0.1:9"}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="videogen-prod", TemplateBody=json.dumps(template)
    )
    args = smoke.parse(["--stage", "prod", "--region", REGION])
    assert smoke.stack_api_url(args.stage, args.region) == "http://127.0.0.1:9"
    code = smoke.main(
        ["--stage", "prod", "--region", REGION], {"SMOKE_EMAIL": EMAIL, "SMOKE_PASSWORD": "x" * 12}
    )
    out = capsys.readouterr().out
    assert code == 1
    found, reached = step_lines(out)
    assert (found[1], found[2], found[3].strip(), found[4]) == ("1", "8", "find the API", "OK  ")
    assert "HttpApiUrl of stack videogen-prod" in found[6]
    assert (reached[3].strip(), reached[4]) == ("API reachable", "FAIL")
    assert "cannot reach the API: ConnectError" in reached[6]


def test_a_missing_stack_fails_naming_it(aws: None, capsys) -> None:
    code = smoke.main(
        ["--stage", "nope", "--region", REGION], {"SMOKE_EMAIL": EMAIL, "SMOKE_PASSWORD": "x" * 12}
    )
    out = capsys.readouterr().out
    assert code == 1
    (failed,) = step_lines(out)
    assert (failed[3].strip(), failed[4]) == ("find the API", "FAIL")
    assert f"cannot read stack videogen-nope ({REGION})" in failed[6]


def test_the_packaged_template_has_the_output_smoke_reads(packaged: Packaged) -> None:
    """osls writes HttpApiUrl for the HTTP API (not infra/resources.yml): checked on the
    real package, not assumed."""
    assert smoke.API_URL_OUTPUT in packaged.template["Outputs"]
    service = yaml.safe_load((Path(__file__).parents[2] / "serverless.yml").read_text())["service"]
    assert smoke.STACK.format(stage="prod") == f"{service}-prod"


def test_cheapest_model_with_its_shortest_duration() -> None:
    """From the catalogue as GET /models serves it: the lowest default cost, then the
    shortest duration that model offers (Veo 3.1 Fast defaults to 8 s; 4 s costs less)."""
    models = [m.model_dump() for m in list_models()]
    assert smoke.cheapest(models)[0]["key"] == LTX
    model, params = smoke.cheapest([m for m in models if m["key"] in (KLING, VEO31_FAST)])
    assert (model["key"], params) == (VEO31_FAST, {"duration": "4s"})
