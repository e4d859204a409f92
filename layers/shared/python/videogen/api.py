"""Builds the small FastAPI app each Lambda function serves."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from videogen.errors import ERROR_RESPONSES, install_error_handlers
from videogen.logs import configure_logging
from videogen.settings import get_settings


def create_app(*routers: APIRouter, title: str) -> FastAPI:
    """An app with the given routers, the shared error shape and JSON logging."""
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(title=title, version="0.1.0")
    install_error_handlers(app)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
