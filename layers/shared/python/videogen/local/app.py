"""One ASGI app with every function's routes, for the local stack.

Routes are taken from each `functions/<name>/handler.py` app, so what runs locally is
exactly what each Lambda serves.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from videogen.api import create_app
from videogen.copies.sqlite_queue import LocalCopyConsumer, SqliteCopyQueue
from videogen.settings import get_settings


def load_function_apps(functions_dir: Path) -> dict[str, FastAPI]:
    apps: dict[str, FastAPI] = {}
    for handler_path in sorted(functions_dir.glob("*/handler.py")):
        name = handler_path.parent.name
        spec = importlib.util.spec_from_file_location(f"functions_{name}_handler", handler_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if isinstance(getattr(module, "app", None), FastAPI):
            apps[name] = module.app
    return apps


def build_local_app(repo: Path) -> FastAPI:
    from videogen.generations.deps import use_local_provider
    from videogen.local.access_log import drop_query_strings
    from videogen.local.fal_simulator import get_simulator
    from videogen.local.routes import router as local_router
    from videogen.local.web import mount_web_client, origin_of
    from videogen.settings import ADAPTERS, require_settings

    require_settings(*ADAPTERS)  # the local stack runs every function: all at once
    drop_query_strings()  # webhook tokens and signed URLs stay out of uvicorn's access log
    use_local_provider(get_simulator)  # GENERATION_BACKEND=simulator: the local fal
    app = create_app(local_router, title="VideoGen (local stack)")
    for function_app in load_function_apps(repo / "functions").values():
        app.include_router(function_app.router)
    # after the API routes: API paths win
    media_origin = origin_of(require_settings().storage_endpoint_url)
    mount_web_client(app, repo / "web", media_origin=media_origin)

    @asynccontextmanager
    async def copy_worker_running(_: FastAPI) -> AsyncIterator[None]:
        # Starlette 1.x dropped startup/shutdown event handlers: a lifespan runs the consumer.
        consumer = local_copy_consumer()
        consumer.start()
        try:
            yield
        finally:
            consumer.stop()

    app.router.lifespan_context = copy_worker_running
    return app


def local_copy_consumer() -> LocalCopyConsumer:
    """The copy worker fed by the local queue, as Lambda feeds it from SQS in production."""
    from videogen.copies.deps import get_copy_queue, get_copy_worker, sweep_orphan_videos

    settings = get_settings()
    queue = get_copy_queue()
    assert isinstance(queue, SqliteCopyQueue), "the local stack uses the local copy queue"
    return LocalCopyConsumer(
        queue,
        get_copy_worker(),
        max_attempts=settings.copy_max_attempts,
        retry_base_seconds=settings.copy_retry_base_seconds,
        after_batch=sweep_orphan_videos,
    )
