"""One ASGI app with every function's routes, for the local stack.

Routes are taken from each `functions/<name>/handler.py` app, so what runs locally is
exactly what each Lambda serves.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI

from videogen.api import create_app


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
    from videogen.local.routes import router as local_router
    from videogen.local.web import mount_web_client, origin_of
    from videogen.settings import get_settings

    app = create_app(local_router, title="VideoGen (local stack)")
    for function_app in load_function_apps(repo / "functions").values():
        app.include_router(function_app.router)
    # after the API routes: API paths win
    media_origin = origin_of(get_settings().storage_endpoint_url)
    mount_web_client(app, repo / "web", media_origin=media_origin)
    return app
