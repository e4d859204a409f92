"""The static web client (`web/`) served by the local stack at `/`.

Only the local stack serves it; in production the same folder goes to S3/CloudFront
(docs/web.md). Each top-level file of `web/` gets a GET route and each top-level folder a
static mount, so the client is at `/` while the API keeps its own 404/405 answers (no
catch-all). Include this router after the API routes: API paths win.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

#: Everything the client loads comes from its own origin; the API may sit on another one
#: (`web/config.js`), and signed video URLs point at the object store.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' https:; connect-src 'self' https:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Static(StaticFiles):
    """StaticFiles with the client's headers (revalidated on every load while developing)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def _file_route(path: Path):  # type: ignore[no-untyped-def]
    def serve() -> FileResponse:
        return FileResponse(path, headers=HEADERS)

    return serve


def mount_web_client(app: FastAPI, web_dir: Path) -> None:
    """Serves `web_dir` at `/`: `index.html` at `/`, its files and folders under their names."""
    if not (web_dir / "index.html").is_file():
        return
    app.add_api_route("/", _file_route(web_dir / "index.html"), include_in_schema=False)
    for entry in sorted(web_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            app.mount(f"/{entry.name}", _Static(directory=entry), name=f"web-{entry.name}")
        elif entry.is_file() and entry.name != "index.html":
            app.add_api_route(f"/{entry.name}", _file_route(entry), include_in_schema=False)
