"""Issue 13, "Local stack": in simulator mode a signed delivery could make the stack fetch
any 127.0.0.1 port over http. The simulator's videos are fetched from the stack's own
address (host and port) and from nowhere else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from videogen.local.environment import simulator_environment
from videogen.settings import Settings
from videogen.webhooks.media import MediaRefused, check_url, download

STACK = "http://127.0.0.1:8000"


class _Video(BaseHTTPRequestHandler):
    """Another local service on the same host: it must never be asked for anything."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"\0\0\0\0")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_local_service() -> Iterator[ThreadingHTTPServer]:
    _Video.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Video)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def simulator_settings(base_url: str) -> Settings:
    env = simulator_environment(base_url)
    return Settings(
        fal_media_hosts=env["FAL_MEDIA_HOSTS"],
        media_allow_http=env["MEDIA_ALLOW_HTTP"] == "true",
    )


def test_simulator_delivery_cannot_fetch_other_local_ports(
    other_local_service: ThreadingHTTPServer,
) -> None:
    port = other_local_service.server_address[1]
    settings = simulator_settings(STACK)
    with pytest.raises(MediaRefused):
        download(
            f"http://127.0.0.1:{port}/secret",
            allowed_hosts=settings.media_hosts,
            allow_http=settings.media_allow_http,
            max_bytes=1024,
            timeout=5,
        )
    assert _Video.requests == []  # refused before any connection


def test_simulator_media_allowed_only_at_the_stacks_own_address(
    other_local_service: ThreadingHTTPServer,
) -> None:
    port = other_local_service.server_address[1]
    settings = simulator_settings(f"http://127.0.0.1:{port}")  # the stack on this port
    video = download(
        f"http://127.0.0.1:{port}/local/fal/media/sample.mp4",
        allowed_hosts=settings.media_hosts,
        allow_http=settings.media_allow_http,
        max_bytes=1024,
        timeout=5,
    )
    video.path.unlink()
    assert video.size_bytes == 4 and _Video.requests == ["/local/fal/media/sample.mp4"]
    hosts = settings.media_hosts
    for refused in (
        "http://127.0.0.1/x",  # port 80
        "http://127.0.0.1:5432/x",
        "http://localhost:8000/x",
        "https://v3.fal.media/x.mp4",  # nothing real comes from fal in simulator mode
        f"http://127.0.0.1:{port}0/x",
        f"http://127.0.0.1:{port}:1/x",  # not a port
    ):
        with pytest.raises(MediaRefused):
            check_url(refused, hosts, allow_http=True)


def test_media_host_patterns_with_and_without_a_port() -> None:
    """`host` allows any port (production's `fal.media,*.fal.media`), `host:port` that port;
    a URL without a port is on its scheme's default port."""
    check_url("https://v3.fal.media/a.mp4", ["*.fal.media"], allow_http=False)
    check_url("https://v3.fal.media:8443/a.mp4", ["*.fal.media"], allow_http=False)
    check_url("https://media.example/a.mp4", ["media.example:443"], allow_http=False)
    check_url("http://media.example:80/a.mp4", ["media.example:80"], allow_http=True)
    for url, hosts in (
        ("https://media.example:8443/a.mp4", ["media.example:443"]),
        ("http://media.example/a.mp4", ["media.example:443"]),
        ("https://other.example:443/a.mp4", ["media.example:443"]),
    ):
        with pytest.raises(MediaRefused):
            check_url(url, hosts, allow_http=True)
