"""Downloads a finished video from fal's media host, and from nowhere else.

The URL comes from a webhook body. Even if signature checks were bypassed, this must not
become a way to make our servers fetch internal addresses (SSRF): only https URLs on the
configured hosts are fetched, redirects are not followed, and size and time are bounded.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from videogen.errors import AppError, ServiceUnavailable


class MediaRefused(AppError):
    status_code = 422
    code = "media_url_refused"
    message = "The video URL is not on an allowed host."


class MediaUnavailable(ServiceUnavailable):
    code = "media_unavailable"
    message = "The video could not be downloaded; deliver again later."


@dataclass(frozen=True)
class DownloadedVideo:
    path: Path
    size_bytes: int
    sha256: str
    content_type: str


_DEFAULT_PORTS = {"https": 443, "http": 80}
# A DNS name or an IPv4 address, nothing else: no whitespace, control or percent signs.
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.?")


def check_url(url: str, allowed_hosts: list[str], *, allow_http: bool) -> None:
    """Refuses, before any connection, a URL we would not fetch. `allowed_hosts` are host
    patterns (`*.fal.media`: any port) or `host:port` (that port only, e.g. the local stack's
    own address: nothing else on that host is reachable). `urlsplit` silently drops tabs and
    newlines (https://docs.python.org/3/library/urllib.parse.html#url-parsing-security) so a
    host with a tab passed the host check, then broke the HTTP client: a URL with any
    whitespace or control character is refused outright."""
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        raise MediaRefused()
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    host = (parts.hostname or "").lower()
    if parts.scheme not in schemes or not _HOST.fullmatch(host):
        raise MediaRefused()
    if parts.username is not None or parts.password is not None:
        raise MediaRefused()  # credentials have no place in a media URL
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:  # a port that is not a number, or out of range
        raise MediaRefused() from exc
    if not any(_allows(pattern, host, port) for pattern in allowed_hosts):
        raise MediaRefused()


def _allows(pattern: str, host: str, port: int) -> bool:
    pattern_host, colon, pattern_port = pattern.rpartition(":")
    if not colon:
        return fnmatch.fnmatchcase(host, pattern)
    return fnmatch.fnmatchcase(host, pattern_host) and pattern_port == str(port)


def download(
    url: str,
    *,
    allowed_hosts: list[str],
    allow_http: bool,
    max_bytes: int,
    timeout: float,
    directory: Path | None = None,
) -> DownloadedVideo:
    """Streams the video to a temporary file, hashing it on the way."""
    import httpx  # only a completed delivery downloads

    check_url(url, allowed_hosts, allow_http=allow_http)
    deadline = time.monotonic() + timeout
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the caller owns and removes it
        prefix="video-", suffix=".mp4", dir=directory, delete=False
    )
    path = Path(handle.name)
    try:
        with (
            handle,
            httpx.stream("GET", url, timeout=min(timeout, 30), follow_redirects=False) as response,
        ):
            if response.status_code != 200:
                raise MediaUnavailable(f"The video host answered {response.status_code}.")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise MediaRefused("The video is larger than allowed.", code="media_too_large")
            for chunk in response.iter_bytes(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaRefused("The video is larger than allowed.", code="media_too_large")
                if time.monotonic() > deadline:
                    raise MediaUnavailable("The video download took too long.")
                digest.update(chunk)
                handle.write(chunk)
            content_type = response.headers.get("content-type", "video/mp4").split(";")[0]
    except httpx.InvalidURL as exc:  # check_url should have refused it already
        path.unlink(missing_ok=True)
        raise MediaRefused() from exc
    except httpx.HTTPError as exc:
        path.unlink(missing_ok=True)
        raise MediaUnavailable() from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if not content_type.startswith("video/"):
        path.unlink(missing_ok=True)
        raise MediaRefused(f"Expected a video, got {content_type}.", code="media_not_video")
    return DownloadedVideo(path, size, digest.hexdigest(), content_type)
