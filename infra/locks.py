"""The lock files: every requirement set compiled, with hashes, for the Python and platform
that installs it (`make lock`; uv, pinned in requirements/dev.txt).

    python infra/locks.py compile     # rewrite every lock from its inputs (needs the index)
    python infra/locks.py compile ops.lock   # only the named locks (the others untouched)
    python infra/locks.py check       # offline: fail if a lock is older than its inputs

The `.txt` files are what people edit; the `.lock` files are what every install reads, with
`--require-hashes` (Makefile's .venv, infra/build_layers.py, infra/lambda_runtime.py,
`make emr-runtime`, infra/emr_artifacts.py). Each lock starts with the sha256 of its inputs
(the files it reads, following `-r`/`-c`, and the target it was resolved for), so a stale
lock is found without the network (tests/test_locks.py).

Targets: the Lambda layer is resolved for serverless.yml's Python on aarch64 manylinux_2_34
(Amazon Linux 2023, glibc 2.34); the same lock builds the host-arch layer for the tests, and
`compile` fails if an x86_64 resolution would pick anything else. The EMR sets are resolved
for emr/release.json's Python. The developer venv and the Lambda test tooling are universal
(markers kept: pip evaluates them for the Python it installs into), constrained by the
runtime lock so the venvs hold the versions that ship.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lambda_runtime

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
RELEASE = ROOT / "emr" / "release.json"
DIGEST_PREFIX = "# inputs-sha256: "
LAMBDA_PLATFORM = "aarch64-manylinux_2_34"  # serverless.yml: arm64, Amazon Linux 2023
HOST_PLATFORM = "x86_64-manylinux_2_34"  # the build machine's layer (--host), must agree


@dataclass(frozen=True)
class Lock:
    """One compiled set: `source` (a requirements file, or text made from emr/release.json)
    resolved for `python` on `platform` (None: universal, or pure Python for EMR)."""

    lock: Path
    source: Path | None
    python: str
    platform: str | None = None
    universal: bool = False
    constraints: tuple[Path, ...] = ()

    def source_text(self) -> str:
        if self.source is not None:
            return self.source.read_text()
        return f"pyspark=={json.loads(RELEASE.read_text())['spark']}\n"


def _dev_python() -> str:
    """The oldest Python the project supports (pyproject's requires-python, ">=X.Y")."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    match = re.fullmatch(r">=\s*(3\.\d+)", project["requires-python"].strip())
    if match is None:
        raise SystemExit(f"pyproject.toml: requires-python {project['requires-python']!r}")
    return match.group(1)


def _emr_python() -> str:
    return str(json.loads(RELEASE.read_text())["python"])


def locks() -> list[Lock]:
    """Every lock, in compile order (later ones are constrained by earlier ones)."""
    runtime = REQUIREMENTS / "runtime.lock"
    dev = REQUIREMENTS / "dev.lock"
    lambda_python = lambda_runtime.runtime_version()
    return [
        Lock(runtime, REQUIREMENTS / "runtime.txt", lambda_python, LAMBDA_PLATFORM),
        Lock(dev, ROOT / "requirements.txt", _dev_python(), universal=True, constraints=(runtime,)),
        Lock(
            REQUIREMENTS / "lambda-tests.lock",
            REQUIREMENTS / "lambda-tests.txt",
            lambda_python,
            universal=True,
            constraints=(runtime, dev),
        ),
        # .venv-ops: the deploy-only targets' tooling, at the versions the tests use.
        Lock(
            REQUIREMENTS / "ops.lock",
            REQUIREMENTS / "ops.txt",
            _dev_python(),
            universal=True,
            constraints=(runtime, dev),
        ),
        Lock(REQUIREMENTS / "emr-job.lock", REQUIREMENTS / "emr-job.txt", _emr_python()),
        # .venv-emr: the release's Spark; its version lives in emr/release.json only.
        Lock(REQUIREMENTS / "emr-runtime.lock", None, _emr_python()),
    ]


def _included(path: Path) -> list[Path]:
    """`path` and every file it pulls in with -r/-c, depth first."""
    files = [path]
    for line in path.read_text().splitlines():
        match = re.match(r"\s*-[rc]\s+(\S+)", line)
        if match:
            files += _included(path.parent / match.group(1))
    return files


def inputs_digest(lock: Lock) -> str:
    """sha256 of what the lock is compiled from: input files, constraints, target."""
    digest = hashlib.sha256()
    files = _included(lock.source) if lock.source is not None else [RELEASE]
    for path in (*files, *lock.constraints):
        digest.update(path.name.encode() + b"\0")
        # a constraint lock's own header line changes whenever its inputs do
        digest.update(path.read_bytes())
    target = f"{lock.python} {lock.platform} {lock.universal}\n{lock.source_text()}"
    digest.update(target.encode())
    return digest.hexdigest()


def recorded_digest(lock: Path) -> str | None:
    if not lock.is_file():
        return None
    first = lock.read_text().partition("\n")[0]
    return first.removeprefix(DIGEST_PREFIX) if first.startswith(DIGEST_PREFIX) else None


def is_stale(lock: Lock) -> bool:
    """True when the lock's recorded inputs digest is not its inputs' digest now."""
    return recorded_digest(lock.lock) != inputs_digest(lock)


def stale() -> list[str]:
    """The locks older than their inputs, as paths for the message."""
    return [lock.lock.relative_to(ROOT).as_posix() for lock in locks() if is_stale(lock)]


def pinned(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a lock."""
    pattern = r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)"
    return {
        re.sub(r"[-_.]+", "-", name).lower(): version
        for name, version in re.findall(pattern, lock.read_text(), re.MULTILINE)
    }


def _uv_compile(lock: Lock, source: Path, output: Path, platform: str | None) -> None:
    uv = Path(sys.executable).parent / "uv"
    command = [str(uv), "pip", "compile", "--quiet", "--generate-hashes"]
    command += ["--python-version", lock.python, "--custom-compile-command", "make lock"]
    command += ["--universal"] if lock.universal else ["--python-platform", platform or "linux"]
    for constraint in lock.constraints:
        command += ["--constraints", str(constraint)]
    command += [str(source), "--output-file", str(output)]
    subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603 - fixed argv, our venv's uv


def compile_lock(lock: Lock) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = lock.source
        if source is None:
            source = Path(tmp) / f"{lock.lock.stem}.txt"
            source.write_text(lock.source_text())
        output = Path(tmp) / lock.lock.name
        _uv_compile(lock, source, output, lock.platform)
        if lock.platform == LAMBDA_PLATFORM:
            host = Path(tmp) / "host.lock"
            _uv_compile(lock, source, host, HOST_PLATFORM)
            if pinned(host) != pinned(output):
                raise SystemExit(
                    f"{lock.lock.name}: the x86_64 resolution differs from the aarch64 one, so "
                    "the host layer the tests use would not hold what ships"
                )
        text = output.read_text().replace(str(Path(tmp)) + "/", "")
        lock.lock.write_text(f"{DIGEST_PREFIX}{inputs_digest(lock)}\n{text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("compile", "check"))
    parser.add_argument("only", nargs="*", help="compile: only these locks (e.g. ops.lock)")
    args = parser.parse_args()
    if args.command == "compile":
        chosen = [lock for lock in locks() if not args.only or lock.lock.name in args.only]
        unknown = set(args.only) - {lock.lock.name for lock in chosen}
        if unknown:
            raise SystemExit(f"no such lock: {', '.join(sorted(unknown))}")
        for lock in chosen:
            compile_lock(lock)
            count = len(pinned(lock.lock))
            print(f"{lock.lock.relative_to(ROOT)}: {count} packages")
        return
    out_of_date = stale()
    if out_of_date:
        raise SystemExit(f"stale locks (run `make lock`): {', '.join(out_of_date)}")
    print("every lock matches its inputs")


if __name__ == "__main__":
    main()
