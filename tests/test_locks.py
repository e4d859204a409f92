"""The lock files (infra/locks.py): each is newer than its inputs, holds what they pin, with
hashes, and every install path reads a lock, never a `.txt`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra import build_layers, emr_artifacts, lambda_runtime, locks

ROOT = Path(__file__).resolve().parents[1]
LOCKS = locks.locks()


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` pin in a requirements file and its -r files."""
    pins = {}
    for included in locks._included(path):
        pins.update(locks.pinned(included))
    return pins


# --- fresh ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.lock.name)
def test_lock_is_compiled_from_its_inputs_as_they_are_now(lock: locks.Lock) -> None:
    assert locks.recorded_digest(lock.lock) is not None, f"{lock.lock.name}: no inputs header"
    assert not locks.is_stale(lock), f"{lock.lock.name} is older than its inputs: make lock"


def test_an_edit_to_an_included_file_makes_the_lock_stale(tmp_path: Path) -> None:
    top = tmp_path / "requirements.txt"
    top.write_text("-r sub/base.txt\nsix==1.17.0\n")
    (tmp_path / "sub").mkdir()
    base = tmp_path / "sub" / "base.txt"
    base.write_text("idna==3.10\n")
    lock = locks.Lock(tmp_path / "requirements.lock", top, "3.11", universal=True)
    lock.lock.write_text(f"{locks.DIGEST_PREFIX}{locks.inputs_digest(lock)}\nsix==1.17.0\n")
    assert not locks.is_stale(lock)
    base.write_text("idna==3.11\n")
    assert locks.is_stale(lock)


def test_a_lock_without_the_header_is_stale(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("six==1.17.0\n")
    lock = locks.Lock(tmp_path / "x.lock", source, "3.12", "aarch64-manylinux_2_34")
    lock.lock.write_text("six==1.17.0 --hash=sha256:" + "0" * 64 + "\n")
    assert locks.is_stale(lock)


def test_a_new_target_python_makes_the_lock_stale(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("six==1.17.0\n")
    old = locks.Lock(tmp_path / "x.lock", source, "3.9")
    old.lock.write_text(f"{locks.DIGEST_PREFIX}{locks.inputs_digest(old)}\n")
    assert locks.is_stale(locks.Lock(old.lock, source, "3.12"))


# --- complete, hashed, consistent -----------------------------------------------------------


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.lock.name)
def test_every_locked_package_has_hashes(lock: locks.Lock) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.lock.read_text())
    requirements = [e for e in entries if re.match(r"[A-Za-z0-9._-]+(\[[^\]]*\])?==", e)]
    assert requirements
    unhashed = [e.split()[0] for e in requirements if "--hash=sha256:" not in e]
    assert not unhashed


@pytest.mark.parametrize("lock", [x for x in LOCKS if x.source], ids=lambda x: x.lock.name)
def test_lock_holds_every_pin_of_its_inputs(lock: locks.Lock) -> None:
    assert lock.source is not None
    locked = locks.pinned(lock.lock)
    for name, version in _pins(lock.source).items():
        assert locked.get(name) == version, name


def test_emr_runtime_lock_holds_the_release_spark() -> None:
    release = json.loads((ROOT / "emr" / "release.json").read_text())
    locked = locks.pinned(ROOT / "requirements" / "emr-runtime.lock")
    assert locked["pyspark"] == release["spark"]


@pytest.mark.parametrize("name", ["dev.lock", "lambda-tests.lock"])
def test_venv_locks_use_the_versions_the_layer_ships(name: str) -> None:
    """Compiled with runtime.lock as a constraint: the venvs test the shipped versions."""
    shipped = locks.pinned(ROOT / "requirements" / "runtime.lock")
    locked = locks.pinned(ROOT / "requirements" / name)
    shared = set(shipped) & set(locked)
    assert {"pydantic-core", "cryptography", "boto3"} <= shared
    assert {n: locked[n] for n in shared} == {n: shipped[n] for n in shared}


# --- every install path reads a lock, hash-checked --------------------------------------------


def test_infra_installs_read_locks() -> None:
    assert build_layers.REQUIREMENTS.name == "runtime.lock"
    assert emr_artifacts.DEFAULT_REQUIREMENTS.name == "emr-job.lock"
    assert lambda_runtime.TEST_REQUIREMENTS.name == "lambda-tests.lock"
    for script in sorted((ROOT / "infra").glob("*.py")):
        source = script.read_text()
        if '"pip", "install"' in source:
            assert '"--require-hashes"' in source, script.name


def _makefile_installs() -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if re.search(r"pip install\b", line)]


def test_makefile_installs_read_locks_with_hashes() -> None:
    installs = _makefile_installs()
    assert len(installs) >= 3  # .venv, the project itself, .venv-emr
    for line in installs:
        if "--no-deps -e ." in line:
            continue  # the project's own editable install: local sources, nothing to hash
        assert "--require-hashes" in line, line
        files = re.findall(r"-r\s+(\S+)", line)
        assert files, line
        assert all(f.endswith(".lock") or f == "$(LOCK)" for f in files), line
    lock = re.search(r"^LOCK\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert lock is not None
    assert lock.group(1) == "requirements/dev.lock"
