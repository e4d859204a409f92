"""docs/runbook.md covers every alarm of the packaged template, and every `make` target the
docs name exists (issue 14, "Day two")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.conftest import Packaged

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PACKAGED_PREFIX = "videogen-ci-"  # `make package` packages stage ci
DOC_PREFIX = "videogen-<stage>-"


def headings(path: Path) -> list[str]:
    return [
        line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")
    ]


def alarm_names(packaged: Packaged) -> list[str]:
    names = [
        r["Properties"]["AlarmName"] for r in packaged.of_type("AWS::CloudWatch::Alarm").values()
    ]
    assert names and all(isinstance(n, str) and n.startswith(PACKAGED_PREFIX) for n in names)
    return [DOC_PREFIX + n.removeprefix(PACKAGED_PREFIX) for n in names]


def test_every_alarm_has_a_runbook_section(packaged: Packaged) -> None:
    sections = headings(RUNBOOK)
    missing = [name for name in alarm_names(packaged) if f"`{name}`" not in sections]
    assert not missing, f"docs/runbook.md has no '### `<name>`' section for {missing}"


def test_every_budget_has_a_runbook_section(packaged: Packaged) -> None:
    sections = headings(RUNBOOK)
    for resource in packaged.of_type("AWS::Budgets::Budget").values():
        name = resource["Properties"]["Budget"].get("BudgetName")
        if isinstance(name, str):
            name = DOC_PREFIX + name.removeprefix(PACKAGED_PREFIX)
            assert any(name in s for s in sections), f"no runbook section names {name}"
        else:
            assert any("Budgets" in s for s in sections)


def test_runbook_sections_name_only_alarms_that_exist(packaged: Packaged) -> None:
    """A renamed or removed alarm leaves no stale section behind."""
    named = {
        m for s in headings(RUNBOOK) for m in re.findall(r"`(videogen-<stage>-[a-z0-9-]+)`", s)
    }
    assert named == set(alarm_names(packaged))


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)", text, flags=re.MULTILINE))


def code_in(path: Path) -> str:
    """Inline code spans and fenced blocks: where a command is written, not prose."""
    text = path.read_text()
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    without_fences = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return "\n".join(fenced + re.findall(r"`([^`\n]+)`", without_fences))


def mentioned_targets() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in DOCS:
        for target in re.findall(r"(?<![\w.-])make ([a-z][a-z0-9-]*)", code_in(path)):
            found.setdefault(target, []).append(path.relative_to(ROOT).as_posix())
    return found


MENTIONED = mentioned_targets()


def test_docs_name_the_deploy_targets() -> None:
    """The scan sees the docs' commands (a broken regex would pass everything below)."""
    assert {"deploy", "package", "emr-artifacts", "web-infra", "web", "smoke", "network"} <= set(
        MENTIONED
    )


@pytest.mark.parametrize("target", sorted(MENTIONED))
def test_every_make_target_in_the_docs_exists(target: str) -> None:
    assert target in makefile_targets(), f"`make {target}` in {MENTIONED[target]}: no such target"
