"""The static web client (`web/`) served by the local stack at `/`.

Only the local stack serves it; in production the same folder goes to S3/CloudFront
(docs/web.md). Each top-level file of `web/` gets a GET route and each top-level folder a
static mount, so the client is at `/` while the API keeps its own 404/405 answers (no
catch-all). Include this router after the API routes: API paths win.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

#: `index.html`'s own CSP (a meta tag, kept in production) lets media come from any https:
#: origin; the local stack's videos come from its S3 server's http://127.0.0.1 origin.
_META_MEDIA_SRC = re.compile(
    r"(<meta http-equiv=\"Content-Security-Policy\"[^>]*?media-src [^;\"]*)"
)


def content_security_policy(media_origin: str | None) -> str:
    """Everything the client loads comes from its own origin; the API may sit on another one
    (`web/config.js`); videos come from the object store: exactly `media_origin` when set."""
    media = f"'self' {media_origin}" if media_origin else "'self' https:"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src {media}; connect-src 'self' https:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL (a CSP source), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _headers(media_origin: str | None) -> dict[str, str]:
    return {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": content_security_policy(media_origin),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


class _Static(StaticFiles):
    """StaticFiles with the client's headers (revalidated on every load while developing)."""

    def __init__(self, *, directory: Path, headers: dict[str, str]) -> None:
        super().__init__(directory=directory)
        self._headers = headers

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(self._headers)
        return response


def _file_route(path: Path, headers: dict[str, str]) -> Callable[[], FileResponse]:
    def serve() -> FileResponse:
        return FileResponse(path, headers=headers)

    return serve


def _index_route(
    path: Path, headers: dict[str, str], media_origin: str | None
) -> Callable[[], HTMLResponse]:
    """`index.html` with the object store's origin added to its meta CSP's media-src (both
    policies apply, so the meta tag must allow it too). Read per request, like the files."""

    def serve() -> HTMLResponse:
        html = path.read_text()
        if media_origin:
            html, count = _META_MEDIA_SRC.subn(rf"\1 {media_origin}", html, count=1)
            if count != 1:
                raise RuntimeError(f"{path}: no media-src in its Content-Security-Policy meta")
        return HTMLResponse(html, headers=headers)

    return serve


def mount_web_client(app: FastAPI, web_dir: Path, *, media_origin: str | None = None) -> None:
    """Serves `web_dir` at `/`: `index.html` at `/`, its files and folders under their names.
    `media_origin` is the object store's origin (videos play from its presigned URLs)."""
    if not (web_dir / "index.html").is_file():
        return
    headers = _headers(media_origin)
    index = _index_route(web_dir / "index.html", headers, media_origin)
    app.add_api_route("/", index, include_in_schema=False)
    for entry in sorted(web_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            static = _Static(directory=entry, headers=headers)
            app.mount(f"/{entry.name}", static, name=f"web-{entry.name}")
        elif entry.is_file() and entry.name != "index.html":
            app.add_api_route(
                f"/{entry.name}", _file_route(entry, headers), include_in_schema=False
            )
