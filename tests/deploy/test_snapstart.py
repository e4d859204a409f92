"""SnapStart is a switch (`snapStart` param): off by default, and when on, API Gateway
calls the published version it applies to (SnapStart never applies to $LATEST:
https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import package as packaging

from .conftest import Packaged

HTTP_FUNCTIONS = ("Auth", "Generations", "Webhooks", "Admin", "Kpis")
OTHER_FUNCTIONS = ("CopyWorker", "Reconcile", "Retention", "KpiSchedule")


@pytest.fixture(scope="module")
def snapstart_packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("sls-snapstart") / "package"
    artifacts = packaging.package(out, stage="ci", allow_missing=True, params={"snapStart": "true"})
    template = json.loads((out / packaging.TEMPLATE).read_text())
    return Packaged(out, artifacts, template)


def function(p: Packaged, name: str) -> dict[str, Any]:
    return p.resources[f"{name}LambdaFunction"]["Properties"]


def test_snapstart_is_off_by_default(packaged: Packaged) -> None:
    for name in HTTP_FUNCTIONS + OTHER_FUNCTIONS:
        assert "SnapStart" not in function(packaged, name), name
    assert not packaged.of_type("AWS::Lambda::Alias")


def test_snapstart_on_applies_to_the_http_functions_and_their_routes(
    snapstart_packaged: Packaged,
) -> None:
    p = snapstart_packaged
    for name in HTTP_FUNCTIONS:
        assert function(p, name)["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
    for name in OTHER_FUNCTIONS:  # the copy worker's 1 GB /tmp is over SnapStart's 512 MB
        assert "SnapStart" not in function(p, name), name
    aliases = p.of_type("AWS::Lambda::Alias").values()
    assert sorted(alias["Properties"]["FunctionName"]["Ref"] for alias in aliases) == sorted(
        f"{name}LambdaFunction" for name in HTTP_FUNCTIONS
    )
    names = {json.dumps(alias["Properties"]["Name"]) for alias in aliases}  # "snapstart"
    integrations = p.of_type("AWS::ApiGatewayV2::Integration")
    assert integrations
    for logical, integration in integrations.items():
        uri = json.dumps(integration["Properties"]["IntegrationUri"])
        assert any(name in uri for name in names), f"{logical} calls $LATEST: {uri}"
    permissions = {
        logical: json.dumps(permission["Properties"]["FunctionName"])
        for logical, permission in p.of_type("AWS::Lambda::Permission").items()
        if permission["Properties"].get("Principal") == "apigateway.amazonaws.com"
    }
    assert len(permissions) == len(HTTP_FUNCTIONS)
    for logical, target in permissions.items():
        assert any(name in target for name in names), f"{logical} invokes $LATEST: {target}"
