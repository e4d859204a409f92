"""The runtime the functions are tested on is the one they are deployed to: serverless.yml's
Python, with the dependency layer (built for this machine) and the shared layer on the path
the way Lambda puts /opt/python there (infra/lambda_runtime.py, `make lambda-runtime`).

The marked tests here check that run from inside it; the others guard it from the main suite.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra import lambda_runtime, locks
from tests.support.production import production_env

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
IN_LAMBDA_RUNTIME = Path(sys.prefix).resolve() == lambda_runtime.VENV.resolve()
inside = pytest.mark.skipif(
    not IN_LAMBDA_RUNTIME, reason="checks the run on .venv-lambda (make test runs it there)"
)
# Production settings, so each handler imports what it imports in Lambda (no local stack).
PRODUCTION = production_env()


def _deployed_runtime() -> str:
    return yaml.safe_load((ROOT / "serverless.yml").read_text())["provider"]["runtime"]


# --- from the main suite -----------------------------------------------------------------


def test_lambda_venv_runs_the_python_serverless_deploys() -> None:
    version = lambda_runtime.venv_version()
    assert version is not None, "no .venv-lambda here: run `make lambda-runtime`"
    assert f"python{version}" == _deployed_runtime()


def test_host_layer_holds_the_shipped_requirements_for_this_machine() -> None:
    site = lambda_runtime.HOST_LAYER / "python"
    assert site.is_dir(), "no host layer here: run `make lambda-runtime`"
    layer = lambda_runtime._distributions(site)
    # every package of the lock the arm64 layer is built from, at its locked version
    assert layer == locks.pinned(ROOT / "requirements" / "runtime.lock")
    tag = _deployed_runtime().removeprefix("python").replace(".", "")
    binaries = [p.name for p in site.glob("pydantic_core/*.so")]
    assert binaries and all(f"cpython-{tag}-{platform.machine()}" in b for b in binaries)


def test_runtime_version_comes_from_serverless_yml(tmp_path: Path) -> None:
    assert f"python{lambda_runtime.runtime_version()}" == _deployed_runtime()
    config = tmp_path / "serverless.yml"
    config.write_text("provider:\n  name: aws\n  runtime: python3.13\n")
    assert lambda_runtime.runtime_version(config) == "3.13"
    config.write_text("provider:\n  name: aws\n  runtime: nodejs20.x\n")
    with pytest.raises(SystemExit, match=r"'nodejs20\.x', not pythonX\.Y"):
        lambda_runtime.runtime_version(config)


def test_missing_python_is_a_clear_error() -> None:
    version = lambda_runtime.runtime_version()
    with pytest.raises(SystemExit, match=rf"no Python {version} was found.*LAMBDA_PYTHON="):
        lambda_runtime.setup("/nonexistent/python")
    # An interpreter of another version is refused too, not used.
    other = "3.0" if sys.version_info[:2] != (3, 0) else "3.1"
    assert lambda_runtime.find_python(other, sys.executable) is None


def _dist(site: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_tooling_copy_of_a_layer_package_is_found(tmp_path: Path) -> None:
    venv, layer = tmp_path / "venv", tmp_path / "layer"
    _dist(venv, "pytest", "9.2.0")
    _dist(venv, "Typing_Extensions", "4.0.0")
    _dist(layer, "typing-extensions", "4.15.0")
    _dist(layer, "fastapi", "0.163.2")
    found = lambda_runtime.shadowed(venv, [layer])
    assert found == {"typing-extensions": ("4.15.0", "4.0.0")}


def test_a_test_file_opts_in_with_the_marker_alone(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_new_worker.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.lambda_runtime\n"
    )
    (tmp_path / "test_other.py").write_text("def test_x():\n    pass\n")
    assert lambda_runtime.marked_test_files(tmp_path) == [tmp_path / "sub" / "test_new_worker.py"]
    marked = {p.name for p in lambda_runtime.marked_test_files()}
    assert {"test_lambda_functions.py", "test_lambda_auth.py", "test_reconcile.py"} <= marked


def test_layers_come_first_on_the_path_whatever_was_set() -> None:
    env = lambda_runtime.environment({"PYTHONPATH": "/elsewhere", "PYTHONHOME": "/x", "A": "1"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(p) for p in lambda_runtime.layer_path()]
    assert "PYTHONHOME" not in env and env["A"] == "1"


# --- inside the Lambda-runtime run ---------------------------------------------------------


@pytest.mark.lambda_runtime
@inside
def test_runtime_packages_come_from_the_layers() -> None:
    import boto3
    import fastapi
    import mangum
    import psycopg
    import pydantic_core

    import videogen

    assert "{}.{}".format(*sys.version_info[:2]) == lambda_runtime.runtime_version()
    deps, shared = (p.resolve() for p in lambda_runtime.layer_path())
    for module in (fastapi, pydantic_core, mangum, psycopg, boto3):
        assert Path(module.__file__).resolve().is_relative_to(deps), module.__file__
    assert Path(videogen.__file__).resolve().is_relative_to(shared)
    # Lambda's order: /opt/python before the runtime's site-packages.
    path = [Path(p).resolve() for p in sys.path if p]
    site = min(i for i, p in enumerate(path) if p.name == "site-packages")
    assert path.index(deps) < path.index(shared) < site


IMPORT_ONLY = """
import importlib, json, sys, sysconfig
from pathlib import Path
importlib.import_module("handler")
allowed = [Path(p).resolve() for p in sys.argv[1:]]
allowed.append(Path(sysconfig.get_paths()["stdlib"]).resolve())
outside = {
    name.partition(".")[0]
    for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not any(Path(module.__file__).resolve().is_relative_to(a) for a in allowed)
}
local = [name for name in sys.modules if name.startswith("videogen.local")]
print(json.dumps({"outside": sorted(outside), "local": local}))
"""


@pytest.mark.lambda_runtime
@inside
@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_imports_from_the_layers_alone(function: str) -> None:
    """`-S`: no site-packages, so none of the test tooling (requests, yaml, packaging...)
    can stand in for a package the layer lacks; the function folder is first, as /var/task."""
    folder = ROOT / "functions" / function
    paths = [folder, *lambda_runtime.layer_path()]
    result = subprocess.run(
        [sys.executable, "-S", "-c", IMPORT_ONLY, *map(str, paths)],
        cwd=folder,
        env=lambda_runtime.environment({**os.environ, **PRODUCTION}),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"outside": [], "local": []}
