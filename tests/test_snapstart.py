"""videogen.snapstart: under SnapStart, a function's adapters are built and their clients
imported during initialisation, and `random` is reseeded after each restore; otherwise
nothing changes (a plain cold start stays lazy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.production import production_env

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys
from tests.support.handlers import load_handler
load_handler(sys.argv[1])
registered = []
try:
    import snapshot_restore_py
    registered = [f.__qualname__ for f, _, _ in snapshot_restore_py.get_after_restore()]
except ImportError:
    pass
lazy = ["psycopg", "psycopg_pool", "httpx", "jwt", "supabase_auth"]
print(json.dumps({"loaded": [m for m in lazy if m in sys.modules], "after_restore": registered}))
"""


def start(function: str, **env: str) -> dict[str, list[str]]:
    answer = subprocess.run(
        [sys.executable, "-c", PROBE, function],
        env={**os.environ, **production_env(), **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("function", ["auth", "generations"])
def test_a_snapstart_initialisation_builds_the_adapters_before_the_snapshot(
    function: str,
) -> None:
    started = start(function, AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert {"psycopg", "psycopg_pool", "httpx", "jwt"} <= set(started["loaded"])
    if function == "auth":  # the identity adapter's client, built by its factory
        assert "supabase_auth" in started["loaded"]
    assert started["after_restore"] == ["Random.seed"]


def test_an_on_demand_cold_start_stays_lazy() -> None:
    started = start("auth", AWS_LAMBDA_INITIALIZATION_TYPE="on-demand")
    assert started == {"loaded": [], "after_restore": []}
