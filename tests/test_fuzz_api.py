"""Property-based fuzzing of every HTTP function against its own OpenAPI schema
(Schemathesis + Hypothesis): no input may cause a 5xx, and every response must match the
schema (status codes, content type, body).

`make test` runs a few examples per operation; `make fuzz` runs many more (`FUZZ_EXAMPLES`).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.handlers import load_handler

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))


# Starting a KPI run spawns a Spark job locally: fuzzed by its own tests, not here.
SKIPPED = {"POST /admin/kpis/run"}


def fuzz(function: str, headers: dict[str, str]) -> list[str]:
    app = load_handler(function).app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            # Our rules are richer than a JSON schema (e.g. email syntax, password strength),
            # so schema-valid input may still be refused with a documented 4xx.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        run()
        checked.append(operation.label)
    return checked


@pytest.mark.parametrize("function", ["auth", "generations", "webhooks", "admin", "kpis"])
def test_function_survives_fuzzing(function: str, fal, make_user) -> None:
    user = make_user(role="admin")
    assert fuzz(function, user.headers)
