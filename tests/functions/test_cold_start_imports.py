"""Import time is cold-start time: no function imports a heavy client before a request
needs it (timings live in bench/cold_start.py; this guards what is imported)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.production import production_env

ROOT = Path(__file__).resolve().parents[2]
# Also on the Lambda runtime (make test): the handlers' imports, there from the layer.
pytestmark = pytest.mark.lambda_runtime

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
# Imported on first use only: database driver, HTTP clients, AWS SDK, fal, Supabase, JWT.
# (email-validator is not listed: FastAPI itself imports it when it is installed.)
LAZY = [
    "psycopg",
    "psycopg_pool",
    "httpx",
    "boto3",
    "botocore",
    "supabase_auth",
    "jwt",
    "argon2",
    "pyspark",
]


# Functions that serve no HTTP: no web framework either (issue 12).
NOT_HTTP = ["copy_worker", "kpi_schedule", "reconcile", "retention"]
WEB = ["fastapi", "starlette", "mangum"]


def imported_after_handler(function: str, modules: list[str]) -> list[str]:
    """Which of `modules` a fresh process holds once the handler is imported."""
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('h', 'functions/{function}/handler.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, **production_env()}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_import_loads_no_heavy_client(function: str) -> None:
    assert imported_after_handler(function, LAZY) == []


@pytest.mark.parametrize("function", NOT_HTTP)
def test_functions_serving_no_http_import_no_web_framework(function: str) -> None:
    assert imported_after_handler(function, WEB) == []
