"""Lambda SnapStart, when a function runs with it (`snapStart` in serverless.yml).

With SnapStart, Lambda runs a function's initialisation once, when a version is published,
and resumes every new execution environment from a snapshot of its memory and disk
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). Initialisation is then off
the request path, so it should do what the first request would otherwise pay for: build
the adapters and import the clients they load lazily. It must not capture what has to be
unique or fresh per environment
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html):

- no open connection: the database pool opens on first use, and the HTTP clients built
  here have made no request (no socket, no cached key set in the snapshot);
- no shared random state: `secrets` and `uuid4` read the OS's entropy on every call; the
  `random` module is reseeded after each restore (`register_after_restore`, from the
  Snapshot Restore for Python library that Lambda's Python runtimes include:
  https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html).

Without SnapStart (`AWS_LAMBDA_INITIALIZATION_TYPE` is `on-demand`, or unset off Lambda)
nothing happens here: initialisation is on the request path, and stays as lazy as it is.
"""

from __future__ import annotations

import importlib
import inspect
import os
import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"

#: What the adapters import on first use (tests/functions/test_cold_start_imports.py keeps them out
#: of a plain cold start): loaded before the snapshot instead.
LAZY_CLIENT_MODULES = (
    "psycopg",
    "psycopg_pool",
    "httpx",
    "jwt",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
)


def snapshot_coming() -> bool:
    return os.environ.get(INITIALIZATION_TYPE) == SNAP_START


def route_factories(app: FastAPI) -> Iterator[Callable[[], Any]]:
    """The videogen dependencies of the app's routes that take no argument: the factories
    of the adapters (database, identity, storage, …) its requests use."""
    from fastapi.routing import APIRoute, iter_route_contexts

    # FastAPI keeps an included router as one entry of app.routes; its route contexts list
    # each route as declared, with its dependency tree.
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    stack = [route.dependant for route in routes if isinstance(route, APIRoute)]
    seen: set[Callable[..., Any]] = set()
    while stack:
        dependant = stack.pop()
        stack.extend(dependant.dependencies)
        call = dependant.call
        if call is None or call in seen:
            continue
        seen.add(call)
        if getattr(call, "__module__", "").startswith("videogen.") and _no_argument(call):
            yield call


def prepare_snapshot(app: FastAPI) -> bool:
    """Builds the app's adapters and loads their clients, if a snapshot follows."""
    if not snapshot_coming():
        return False
    for factory in route_factories(app):
        factory()
    for module in LAZY_CLIENT_MODULES:
        importlib.import_module(module)
    from snapshot_restore_py import register_after_restore  # in Lambda's Python runtimes

    register_after_restore(random.seed)  # each restored environment its own sequence
    return True


def _no_argument(call: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(call).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not inspect.Parameter.empty for p in parameters)
