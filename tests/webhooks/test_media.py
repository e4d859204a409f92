"""Which video URLs the copy worker may fetch (videogen.webhooks.media): only https (http
only where `MEDIA_ALLOW_HTTP` is on) on an allowed host, no credentials, no whitespace or
control characters. Refused URLs fail the job and release its reservation; nothing is fetched.

The unit tests of `check_url` are fast on purpose: `make mutate` runs them over media.py.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.webhooks.test_webhooks import deliver_and_copy
from videogen.webhooks.media import MediaRefused, MediaUnavailable, check_url, download

HOSTS = ["fal.media", "*.fal.media"]


@pytest.mark.parametrize(
    "url",
    [
        "https://fal.media/files/v.mp4",
        "https://v3.fal.media/files/rabbit/v.mp4?x=1",
        "https://V3.FAL.MEDIA/v.mp4",
        "https://v3.fal.media:443/v.mp4",
    ],
)
def test_https_urls_on_allowed_hosts_pass(url: str) -> None:
    check_url(url, HOSTS, allow_http=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://v3.fal.\tmedia/v.mp4",  # urlsplit drops the tab; httpx then refused the URL
        "https://v3.fal.media\n/v.mp4",
        "https://v3.fal.media\r/v.mp4",
        "https://v3 .fal.media/v.mp4",
        "https://v3.fal.media/a b.mp4",
        "https://v3.fal.media/\x00.mp4",
        "https://v3.fal.media/\x7f.mp4",
        "https://v3.fal.media\u00a0/v.mp4",
        "https://v3%2efal.media/v.mp4",
    ],
)
def test_video_url_with_a_tab_or_control_character_in_the_host_is_refused(url: str) -> None:
    with pytest.raises(MediaRefused):
        check_url(url, HOSTS, allow_http=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@v3.fal.media/v.mp4",
        "https://user@v3.fal.media/v.mp4",
        "https://:secret@v3.fal.media/v.mp4",
        "https://:@v3.fal.media/v.mp4",
    ],
)
def test_credentials_in_a_video_url_are_refused(url: str) -> None:
    with pytest.raises(MediaRefused):
        check_url(url, HOSTS, allow_http=True)


def test_plain_http_is_refused_unless_allowed() -> None:
    with pytest.raises(MediaRefused):
        check_url("http://v3.fal.media/v.mp4", HOSTS, allow_http=False)
    check_url("http://v3.fal.media/v.mp4", HOSTS, allow_http=True)
    check_url("https://v3.fal.media/v.mp4", HOSTS, allow_http=True)  # https stays allowed
    with pytest.raises(MediaRefused):  # allowing http allows no other scheme
        check_url("ftp://v3.fal.media/v.mp4", HOSTS, allow_http=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://fal.media.evil.example/v.mp4",
        "https://evilfal.media/v.mp4",
        "https:///v.mp4",
        "https://v3.fal.media:99999/v.mp4",
        "https://v3.fal.media:port/v.mp4",
        "v3.fal.media/v.mp4",
    ],
)
def test_other_hosts_and_broken_urls_are_refused(url: str) -> None:
    with pytest.raises(MediaRefused):
        check_url(url, HOSTS, allow_http=False)


def test_signed_video_url_with_a_tab_in_the_host_fails_the_job_not_500(
    webhooks, fal: FakeFal, make_user, db
) -> None:
    """Found by the issue-13 review: the tab passed the host check, then the HTTP client
    refused the URL with an unexpected error; now the job fails and is refunded."""
    url = fal.media_url.replace("127.0.0.1", "127.0.0.\t1")
    done, state = deliver_and_copy(webhooks, fal, make_user, db, url)
    assert state == "failed/0"
    assert done["error"] == "The video URL is not on an allowed host."
    assert fal.media_fetches == 0


def test_credentials_in_a_signed_video_url_are_never_fetched(
    webhooks, fal: FakeFal, make_user, db
) -> None:
    url = fal.media_url.replace("http://", "http://user:secret@")
    done, state = deliver_and_copy(webhooks, fal, make_user, db, url)
    assert state == "failed/0" and fal.media_fetches == 0
    assert done["error"] == "The video URL is not on an allowed host."


def test_plain_http_video_url_is_never_fetched_when_http_is_off(
    fal: FakeFal, make_user, db, configure
) -> None:
    configure(MEDIA_ALLOW_HTTP="false")
    webhooks = TestClient(load_handler("webhooks").app)
    assert fal.media_url.startswith("http://")  # the fake media host serves plain http
    done, state = deliver_and_copy(webhooks, fal, make_user, db, fal.media_url)
    assert state == "failed/0" and fal.media_fetches == 0
    assert done["error"] == "The video URL is not on an allowed host."


class MediaHost:
    """A media host at its HTTP boundary, as the copy worker meets fal's CDN: a plain HTTP
    file server (status, `content-type`, `content-length` or chunked transfer per RFC 9110:
    https://www.rfc-editor.org/rfc/rfc9110#name-content-length), set per test."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.content_type: str | None = "video/mp4"
        self.declared: int | None = None  # content-length; None: the body's length
        self.chunked = False  # no content-length at all: the size is only known by reading
        self.delay = 0.0  # seconds before the answer starts
        self.gap = 0.0  # seconds between the pieces of a chunked body
        self.location: str | None = None  # a redirect's target
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                time.sleep(host.delay)
                self.send_response(host.status)
                if host.location:
                    self.send_header("location", host.location)
                if host.content_type:
                    self.send_header("content-type", host.content_type)
                if host.chunked:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    length = len(host.body) if host.declared is None else host.declared
                    self.send_header("content-length", str(length))
                self.end_headers()
                if not host.chunked:
                    self.wfile.write(host.body)
                    return
                for start in range(0, len(host.body), 10_000):
                    piece = host.body[start : start + 10_000]
                    time.sleep(host.gap)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_port}"
        self.url = f"http://{self.address}/files/video.mp4"


@pytest.fixture
def media_host() -> Iterator[MediaHost]:
    host = MediaHost()
    yield host
    host.server.shutdown()
    host.server.server_close()


def fetch(host: MediaHost, directory: Path, *, max_bytes: int = 1_000_000, timeout: float = 10):
    return download(
        host.url,
        allowed_hosts=[host.address],
        allow_http=True,
        max_bytes=max_bytes,
        timeout=timeout,
        directory=directory,
    )


def refused(host: MediaHost, directory: Path, error: type[Exception], **limits) -> Exception:
    """The error `download` raised; it left no file behind."""
    with pytest.raises(error) as raised:
        fetch(host, directory, **limits)
    assert list(directory.iterdir()) == []
    return raised.value


def test_download_streams_the_video_to_a_private_temporary_file_with_size_and_hash(
    media_host: MediaHost, tmp_path: Path
) -> None:
    media_host.body = bytes(range(256)) * 1000  # 256 kB: several 64 kB reads
    media_host.content_type = "video/mp4; codecs=avc1"
    video = fetch(media_host, tmp_path)
    assert video.path.parent == tmp_path and video.path.read_bytes() == media_host.body
    assert video.path.name.startswith("video-") and video.path.name.endswith(".mp4")
    assert video.size_bytes == len(media_host.body)
    assert video.sha256 == hashlib.sha256(media_host.body).hexdigest()
    assert video.content_type == "video/mp4"


def test_download_keeps_the_hosts_video_type_and_assumes_mp4_when_none_is_sent(
    media_host: MediaHost, tmp_path: Path
) -> None:
    media_host.body = b"webm"
    media_host.content_type = "video/webm"
    assert fetch(media_host, tmp_path).content_type == "video/webm"
    media_host.content_type = None
    assert fetch(media_host, tmp_path).content_type == "video/mp4"


def test_download_refuses_a_declared_size_over_the_limit(
    media_host: MediaHost, tmp_path: Path
) -> None:
    media_host.body = b"x" * 1000
    assert fetch(media_host, tmp_path, max_bytes=1000).size_bytes == 1000  # the limit itself
    next(tmp_path.iterdir()).unlink()
    media_host.declared = 1001  # refused on the header, before reading the body
    error = refused(media_host, tmp_path, MediaRefused, max_bytes=1000)
    assert (error.code, error.message) == ("media_too_large", "The video is larger than allowed.")


def test_download_counts_the_bytes_of_a_body_of_undeclared_size(
    media_host: MediaHost, tmp_path: Path
) -> None:
    media_host.chunked = True
    media_host.body = b"x" * 100_000
    assert fetch(media_host, tmp_path, max_bytes=100_000).size_bytes == 100_000
    next(tmp_path.iterdir()).unlink()
    error = refused(media_host, tmp_path, MediaRefused, max_bytes=99_999)
    assert (error.code, error.message) == ("media_too_large", "The video is larger than allowed.")


def test_download_refuses_what_is_not_a_video(media_host: MediaHost, tmp_path: Path) -> None:
    media_host.body = b"<html></html>"
    media_host.content_type = "text/html; charset=utf-8"
    error = refused(media_host, tmp_path, MediaRefused)
    assert (error.code, error.message) == ("media_not_video", "Expected a video, got text/html.")


@pytest.mark.parametrize("status", [404, 302])
def test_download_answered_other_than_200_is_unavailable_and_redirects_are_not_followed(
    media_host: MediaHost, tmp_path: Path, status: int
) -> None:
    media_host.status = status
    media_host.location = "/files/video.mp4?followed=1"  # a redirect back to a video
    media_host.body = b"video"
    error = refused(media_host, tmp_path, MediaUnavailable)
    assert (error.code, error.message) == (
        "media_unavailable",
        f"The video host answered {status}.",
    )


def test_download_past_its_time_limit_is_unavailable(media_host: MediaHost, tmp_path: Path) -> None:
    """A host that answers slowly is given up on (the worker retries the task later)."""
    media_host.body = b"video"
    media_host.delay = 2
    error = refused(media_host, tmp_path, MediaUnavailable, timeout=0.5)
    assert (error.code, error.message) == (  # the HTTP client's own timeout, not the deadline
        "media_unavailable",
        "The video could not be downloaded; deliver again later.",
    )
    media_host.delay = 0
    media_host.chunked, media_host.gap = True, 0.25  # each piece in time, the whole too slow
    media_host.body = b"x" * 80_000
    error = refused(media_host, tmp_path, MediaUnavailable, timeout=1)
    assert (error.code, error.message) == ("media_unavailable", "The video download took too long.")


def test_media_host_patterns_with_a_port_allow_that_port_only() -> None:
    """`host:port` patterns (the local stack's simulator): the port must match, and the host."""
    check_url("http://127.0.0.1:8080/v.mp4", ["127.0.0.1:8080"], allow_http=True)
    check_url("https://v3.fal.media/v.mp4", ["*.fal.media:443"], allow_http=False)
    for url in ["http://127.0.0.1:8081/v.mp4", "http://10.0.0.1:8080/v.mp4"]:
        with pytest.raises(MediaRefused):
            check_url(url, ["127.0.0.1:8080"], allow_http=True)
