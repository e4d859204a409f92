"""The Lambda runtime under test: the Python serverless.yml deploys, with the dependency layer
on the path the way Lambda puts it there (`make lambda-runtime`, then part of `make test`).

    python infra/lambda_runtime.py version            # "3.12", read from serverless.yml
    python infra/lambda_runtime.py setup [--python P] # .venv-lambda (test tooling only)
    python infra/lambda_runtime.py pytest [ARGS...]   # the marked tests, on that runtime

The venv holds only test tooling (requirements/lambda-tests.lock, compiled from
lambda-tests.txt by infra/locks.py and installed with --require-hashes: pytest, the embedded
Postgres, moto...). Every runtime package comes from the dependency layer built for this
machine's architecture (`infra/build_layers.py --host`, same lock and pip flags as
the arm64 layer that ships) and the shared package from layers/shared/python, both put on
PYTHONPATH so they come before the venv's site-packages, as /opt/python comes before the
runtime's own site-packages in Lambda. pip runs with the same PYTHONPATH, so it counts the
layer's packages as installed and adds only what the tooling needs beyond them; a tooling
package that would bring its own copy of a layer package (a different version, shadowed at
run time) stops the setup.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVERLESS = ROOT / "serverless.yml"
VENV = ROOT / ".venv-lambda"
STAMP = VENV / ".installed"
HOST_LAYER = ROOT / ".build" / "layer-host"
SHARED = ROOT / "layers" / "shared" / "python"
# The tooling's lock: compiled with the runtime and dev locks as constraints (infra/locks.py),
# so its versions are the ones the main venv and the layer use.
TEST_REQUIREMENTS = ROOT / "requirements" / "lambda-tests.lock"
MARKER = "lambda_runtime"
TESTS = ROOT / "tests"


def runtime_version(serverless: Path = SERVERLESS) -> str:
    """`provider.runtime` of serverless.yml as "X.Y": the one place the Python version is set."""
    runtime = str((yaml.safe_load(serverless.read_text()) or {}).get("provider", {}).get("runtime"))
    match = re.fullmatch(r"python(3\.\d+)", runtime)
    if match is None:
        raise SystemExit(f"{serverless.name}: provider.runtime is {runtime!r}, not pythonX.Y")
    return match.group(1)


def _is_version(python: str, version: str) -> bool:
    probe = [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def find_python(version: str, override: str | None = None) -> str | None:
    """An interpreter for `version`: the override if given, else pyenv's, else PATH's."""
    if override:
        return override if _is_version(override, version) else None
    pattern = f".pyenv/versions/{version}*/bin/python{version}"
    candidates = [
        str(p) for home in (Path.home(), Path("/root")) for p in sorted(home.glob(pattern))
    ]
    candidates.append(shutil.which(f"python{version}") or "")  # a pyenv shim may fail the probe
    return next((c for c in candidates if c and _is_version(c, version)), None)


def layer_path() -> list[Path]:
    """The layers' folders in Lambda's order. Lambda's python3.12 bootstrap
    (/var/runtime/bootstrap.py in public.ecr.aws/lambda/python:3.12) builds sys.path as
    /var/task, /opt/python/lib/python3.12/site-packages, /opt/python, then the runtime's
    /var/lang/lib/python3.12/site-packages and the standard library; layers are extracted
    into /opt and both python/ and python/lib/python3.x/site-packages are on the path:
    https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths
    https://docs.aws.amazon.com/lambda/latest/dg/python-image.html (search path, 3.11+)
    Our two layers (deps, then shared, as serverless.yml lists them after each other) both
    extract into /opt/python; here they are two folders at that place on the path."""
    return [HOST_LAYER / "python", SHARED]


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the layers first on PYTHONPATH."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in layer_path())
    env.pop("PYTHONHOME", None)
    return env


def _venv_site(venv: Path = VENV) -> Path:
    return next(venv.glob("lib/python3*/site-packages"))


def _distributions(path: Path) -> dict[str, str]:
    return {
        re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
        for d in metadata.distributions(path=[str(path)])
    }


def shadowed(venv_site: Path, layers: list[Path]) -> dict[str, tuple[str, str]]:
    """Packages both in the venv and in a layer: name -> (layer version, venv version)."""
    venv_dists = _distributions(venv_site)
    shadows = {}
    for layer in layers:
        for name, version in _distributions(layer).items():
            if name in venv_dists:
                shadows[name] = (version, venv_dists[name])
    return shadows


def venv_version(venv: Path = VENV) -> str | None:
    """The Python version ("X.Y") the venv was made with, from its pyvenv.cfg."""
    config = venv / "pyvenv.cfg"
    if not config.is_file():
        return None
    for line in config.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in {"version", "version_info"}:
            return ".".join(value.strip().split(".")[:2])
    return None


def _digest(python: str, version: str) -> str:
    digest = hashlib.sha256(f"{python}\n{version}\n".encode())
    digest.update(TEST_REQUIREMENTS.read_bytes())
    layer_stamp = HOST_LAYER.parent / f".{HOST_LAYER.name}-build-stamp"
    digest.update(layer_stamp.read_bytes() if layer_stamp.is_file() else b"no layer")
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def setup(python_override: str | None = None) -> Path:
    """(Re)creates .venv-lambda when its inputs changed: the runtime's Python, test tooling
    only, checked to shadow nothing in the layer."""
    version = runtime_version()
    python = find_python(version, python_override)
    if python is None:
        where = python_override or f"~/.pyenv/versions/{version}*/bin/python{version} or PATH"
        raise SystemExit(
            f"serverless.yml deploys python{version}, but no Python {version} was found at "
            f"{where}. Install it (e.g. `pyenv install {version}`) or point LAMBDA_PYTHON= at "
            f"a python{version} (make lambda-runtime LAMBDA_PYTHON=/path/to/python{version})."
        )
    if not (HOST_LAYER / "python").is_dir():
        raise SystemExit("no host dependency layer: `python infra/build_layers.py --host` first")
    digest = _digest(python, version)
    if STAMP.is_file() and STAMP.read_text().strip() == digest:
        return VENV
    shutil.rmtree(VENV, ignore_errors=True)  # inputs changed: start clean, no stale package
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    # The layer is on PYTHONPATH: pip counts its packages as installed and skips them.
    install = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-qq", "--require-hashes"]
    install += ["-r", str(TEST_REQUIREMENTS)]
    subprocess.run(install, check=True, env=environment())  # noqa: S603
    shadows = shadowed(_venv_site(), layer_path())
    if shadows:
        listing = ", ".join(f"{n} (layer {a}, venv {b})" for n, (a, b) in sorted(shadows.items()))
        raise SystemExit(
            f"test tooling installed its own copy of layer packages: {listing}. At run time the "
            "layer's copy wins, so the tooling would run against versions it did not ask for: "
            "the lock compile is constrained by requirements/runtime.lock: run `make lock`."
        )
    STAMP.write_text(digest + "\n")
    return VENV


def marked_test_files(tests: Path = TESTS) -> list[Path]:
    """Test files that mention the marker: only they are collected on the Lambda runtime
    (the others import tooling that is not in the venv: Spark, Playwright, Schemathesis)."""
    return sorted(p for p in tests.rglob("test_*.py") if MARKER in p.read_text())


def pytest_command(args: list[str]) -> list[str]:
    files = [str(p.relative_to(ROOT)) for p in marked_test_files()]
    return [str(VENV / "bin" / "python"), "-m", "pytest", "-m", MARKER, *args, *files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="the Python version serverless.yml deploys")
    setup_parser = commands.add_parser("setup", help="create .venv-lambda when out of date")
    setup_parser.add_argument("--python", default=os.environ.get("LAMBDA_PYTHON") or None)
    commands.add_parser("pytest", help="run the lambda_runtime tests on that runtime")
    args, rest = parser.parse_known_args()
    if args.command == "version":
        print(runtime_version())
    elif args.command == "setup":
        venv = setup(args.python)
        print(f"Lambda test runtime ready: {venv.relative_to(ROOT)} (Python {venv_version()})")
    else:
        if venv_version() != runtime_version():
            raise SystemExit("run `make lambda-runtime` first: .venv-lambda is missing or stale")
        command = pytest_command(rest)
        os.chdir(ROOT)
        os.execve(command[0], command, environment())  # noqa: S606


if __name__ == "__main__":
    main()
