"""`make reload-secrets` (infra/reload_secrets.py) against moto: every function of the stage's
stack gets a new SECRETS_LOADED_AFTER (so new execution environments read the secrets again),
every other variable kept; a SnapStart function's alias moves to a version published from
the new configuration."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import boto3
import pytest

from infra import reload_secrets

FIRST = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SECOND = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    },
}


def function(name: str, variables: dict[str, str]) -> dict:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Handler": "handler.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
            "Environment": {"Variables": variables},
        },
    }


VARIABLES = {
    "videogen-prod-auth": {"APP_ENV": "production", "VIDEOGEN_SSM_SECRETS": "X=/videogen/p/x"},
    "videogen-prod-reconcile": {"APP_ENV": "production", "LOG_LEVEL": "INFO"},
}


@pytest.fixture
def stage(moto_aws: None) -> None:
    """Stack videogen-prod with two functions, and another stage's function beside it."""
    resources = {"Role": ROLE}
    for index, (name, variables) in enumerate(VARIABLES.items()):
        resources[f"F{index}LambdaFunction"] = function(name, variables)
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="videogen-prod",
        TemplateBody=json.dumps({"Resources": resources}),
        Capabilities=["CAPABILITY_IAM"],
    )
    other = {"Role": ROLE, "OtherLambdaFunction": function("videogen-dev-auth", {"A": "1"})}
    cloudformation.create_stack(
        StackName="videogen-dev",
        TemplateBody=json.dumps({"Resources": other}),
        Capabilities=["CAPABILITY_IAM"],
    )


def environment(name: str, qualifier: str | None = None) -> dict[str, str]:
    extra = {"Qualifier": qualifier} if qualifier else {}
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=name, **extra)
    return configuration["Environment"]["Variables"]


def test_every_function_of_the_stack_gets_a_new_marker_and_keeps_its_variables(
    stage: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation, lambda_client = boto3.client("cloudformation"), boto3.client("lambda")
    done = reload_secrets.reload_stage(cloudformation, lambda_client, "prod", now=FIRST)
    assert [r.function for r in done] == sorted(VARIABLES)
    for name, variables in VARIABLES.items():
        assert environment(name) == {**variables, "SECRETS_LOADED_AFTER": "2026-11-25T09:30:00Z"}
    out = capsys.readouterr().out
    for name in VARIABLES:
        assert f"{name}: updated in " in out, "each function and its time"

    reload_secrets.reload_stage(cloudformation, lambda_client, "prod", now=SECOND)
    for name, variables in VARIABLES.items():  # changed again: new environments again
        assert environment(name) == {**variables, "SECRETS_LOADED_AFTER": "2026-11-25T10:00:00Z"}
    assert environment("videogen-dev-auth") == {"A": "1"}, "another stage is left alone"


def test_the_command_line_reloads_the_named_stage(stage: None) -> None:
    done = reload_secrets.main(["--stage", "prod"])
    assert {r.function for r in done} == set(VARIABLES)
    stamp = environment("videogen-prod-auth")["SECRETS_LOADED_AFTER"]
    assert abs(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") - datetime.now(UTC)).seconds < 60


def test_an_unknown_stage_is_refused_clearly(moto_aws: None) -> None:
    with pytest.raises(SystemExit, match="no stack videogen-nope"):
        reload_secrets.main(["--stage", "nope"])


def test_a_snapstart_alias_moves_to_a_version_published_with_the_new_marker(
    moto_aws: None,
) -> None:
    """API Gateway calls a SnapStart function's `snapstart` alias: its published version's
    snapshot holds the secrets read when it was published, so only a new version helps."""
    iam, lambda_client = boto3.client("iam"), boto3.client("lambda")
    role = iam.create_role(RoleName="generations", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    lambda_client.create_function(
        FunctionName="videogen-prod-generations",
        Runtime="python3.12",
        Handler="handler.handler",
        Role=role,
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"APP_ENV": "production"}},
    )
    old = lambda_client.publish_version(FunctionName="videogen-prod-generations")["Version"]
    lambda_client.create_alias(
        FunctionName="videogen-prod-generations", Name="snapstart", FunctionVersion=old
    )
    stamp = "2026-11-25T09:30:00Z"
    reloaded = reload_secrets.reload_function(lambda_client, "videogen-prod-generations", stamp)
    assert reloaded.version is not None and reloaded.version != old
    alias = lambda_client.get_alias(FunctionName="videogen-prod-generations", Name="snapstart")
    assert alias["FunctionVersion"] == reloaded.version
    assert environment("videogen-prod-generations", reloaded.version) == {
        "APP_ENV": "production",
        "SECRETS_LOADED_AFTER": stamp,
    }
