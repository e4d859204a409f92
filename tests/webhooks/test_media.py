"""Which video URLs the copy worker may fetch (videogen.webhooks.media): only https (http
only where `MEDIA_ALLOW_HTTP` is on) on an allowed host, no credentials, no whitespace or
control characters. Refused URLs fail the job and give the quota back; nothing is fetched.

The unit tests of `check_url` are fast on purpose: `make mutate` runs them over media.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from tests.webhooks.test_webhooks import deliver_and_copy
from videogen.webhooks.media import MediaRefused, check_url

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
