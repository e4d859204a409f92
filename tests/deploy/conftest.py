"""Packages the service once per test run (offline, against moto) for the deployment tests.

This is the CI check of `make package`: osls packaging, cfn-lint, the size budget and the
secret-leak scan all run here, and any failure errors every test that uses the result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra import package as packaging


@dataclass(frozen=True)
class Packaged:
    out: Path
    artifacts: list[packaging.Artifact]
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("sls") / "package"
    artifacts = packaging.package(out, stage="ci", allow_missing=True)
    template = json.loads((out / packaging.TEMPLATE).read_text())
    return Packaged(out, artifacts, template)


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS in eu-west-3, dummy credentials, no endpoint or profile of the
    developer's (infra scripts create their own boto3 clients)."""
    from moto import mock_aws

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield
