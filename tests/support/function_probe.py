"""Starts one function's handler as a Lambda cold start would, once per environment given,
and says whether it started (run in a subprocess by tests/deploy/test_function_secrets.py).

    python -m tests.support.function_probe <function> < variants.json

Each variant is a complete environment. For each, the process environment is replaced, the
settings are read afresh and `functions/<function>/handler.py` is executed as a new module;
an HTTP function then builds every dependency its routes declare that takes no argument
(the adapters' factories: what its first requests would build), and the copy worker handles
an empty SQS batch. The answer is one JSON line: per variant, what it built or the error.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from tests.support.handlers import load_handler
from videogen.snapstart import route_factories


def _start(function: str) -> list[str]:
    """Starts the function; the names of the factories it built."""
    module = load_handler(function)
    app = getattr(module, "app", None)
    built = []
    if app is not None:
        for factory in route_factories(app):
            factory()
            built.append(factory.__name__)
    elif function == "copy_worker":
        module.handler({"Records": []}, None)
    return built


def _clear_caches() -> None:
    """What a new execution environment would not have: every lru_cache of videogen."""
    for name, module in list(sys.modules.items()):
        if name.startswith("videogen"):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def main(function: str) -> None:
    variants: list[dict[str, str]] = json.load(sys.stdin)
    results: list[dict[str, Any]] = []
    for variant in variants:
        os.environ.clear()
        os.environ.update(variant)
        _clear_caches()
        try:
            built = _start(function)
        except Exception as exc:  # the answer is the error, whatever it is
            results.append({"error": type(exc).__name__, "message": str(exc)})
        else:
            results.append({"built": built})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
