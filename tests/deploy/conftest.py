"""Packages the service once per test run (offline, against moto) for the deployment tests.

This is the CI check of `make package`: osls packaging, cfn-lint, the size budget and the
secret-leak scan all run here, and any failure errors every test that uses the result.
"""

from __future__ import annotations

import json
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
