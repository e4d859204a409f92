"""A stage's configuration in SSM: what packaging requires (and refuses to go without, the
alarm email first), and the per-stage settings /videogen/<stage>/config/<name> with the
application's own defaults."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
import yaml

from infra import package as packaging
from videogen.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PARAM = re.compile(
    r"\$\{ssm:/videogen/\$\{sls:stage\}/config/(?P<name>\w+), *(?P<default>.*)\}"
)


def serverless() -> dict:
    return yaml.safe_load((ROOT / "serverless.yml").read_text())


def put(stage: str, values: dict[str, str]) -> None:
    ssm = boto3.client("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=f"/videogen/{stage}/{name}", Value=value, Type="String")


def test_the_required_configuration_is_what_serverless_yml_reads_without_a_default() -> None:
    required = packaging.required_config(serverless())
    assert "alarm-email" in required
    assert set(required) == set(packaging.CI_CONFIG), "offline packaging seeds exactly these"
    assert "emr-subnet-ids" not in required  # optional: defaulted to "" (no VPC)


def test_packaging_stops_naming_a_missing_alarm_email(moto_aws: None) -> None:
    put(
        "prod",
        {k: v for k, v in packaging.CI_CONFIG.items() if k not in ("alarm-email", "web-origin")},
    )
    with pytest.raises(SystemExit) as stopped:
        packaging.check_required_config("prod", boto3.client("ssm"), serverless())
    message = str(stopped.value)
    assert "/videogen/prod/alarm-email: not set" in message
    assert "/videogen/prod/web-origin: not set" in message, "every problem at once"
    assert "/videogen/prod/supabase-url" not in message
    assert "aws ssm put-parameter" in message and "alarm email is required" in message


def test_packaging_stops_on_an_alarm_email_that_is_not_one(moto_aws: None) -> None:
    put("prod", {**packaging.CI_CONFIG, "alarm-email": "ops-team"})
    with pytest.raises(SystemExit, match=r"alarm-email: not an email address \('ops-team'\)"):
        packaging.check_required_config("prod", boto3.client("ssm"), serverless())


def test_a_complete_configuration_passes(moto_aws: None, capsys: pytest.CaptureFixture) -> None:
    put("prod", packaging.CI_CONFIG)
    packaging.check_required_config("prod", boto3.client("ssm"), serverless())
    assert f"{len(packaging.CI_CONFIG)} parameters set" in capsys.readouterr().out


def _settings_defaults() -> dict[str, object]:
    return {name.upper(): field.default for name, field in Settings.model_fields.items()}


def test_per_stage_settings_default_to_the_applications_own_defaults() -> None:
    """Each /videogen/<stage>/config/<name> parameter that becomes an environment variable
    defaults to what videogen/settings.py would use without it: setting none changes nothing."""
    config = serverless()
    params = config["params"]["default"]
    defaults = {}
    for key, value in params.items():
        match = CONFIG_PARAM.fullmatch(str(value).strip())
        if match:
            assert match["name"] == key, "the SSM name is the param's name"
            defaults[key] = match["default"].strip("'\"")
    assert {"promptBlocklist", "reconcileAfterSeconds", "mediaMaxBytes", "registerRate"} <= set(
        defaults
    )
    settings = _settings_defaults()
    checked = 0
    environments = [config["provider"]["environment"]] + [
        function.get("environment", {}) for function in config["functions"].values()
    ]
    for variable, value in (pair for env in environments for pair in env.items()):
        param = re.fullmatch(r"\$\{param:(\w+)\}", str(value))
        if param and param[1] in defaults and variable in settings:
            default = str(settings[variable])
            wanted = (default, default.removesuffix(".0"), default.lower())
            assert str(defaults[param[1]]) in wanted, variable
            checked += 1
    assert checked >= 12  # the retention function's three among them
