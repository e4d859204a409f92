"""A real HTTP server on 127.0.0.1 publishing a key set (a JWKS document), whose answers a
test can turn: serve, fail with 500, or hang until released. It counts the requests it got,
so tests assert on how many fetches were made rather than on how long anything took."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["serve", "fail", "hang"]


class KeyServer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.mode: Mode = "serve"
        self.hits = 0
        self.hit = threading.Event()  # set on every request
        self.release = threading.Event()  # ends a hang
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.hits += 1
                    mode, document = server.mode, server.document
                server.hit.set()
                if mode == "hang":
                    server.release.wait(timeout=60)
                try:
                    if mode == "fail":
                        self.send_error(500)
                        return
                    body = json.dumps(document).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting

        return Handler
