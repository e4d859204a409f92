"""The signing-key cache behind Supabase's JWKS and fal's webhook keys (videogen.keysets),
against a real local HTTP key server. Assertions count fetches, never time them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.keyserver import KeyServer
from videogen.keysets import KeySetCache


class Unavailable(Exception):
    pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def versions(document: dict[str, Any]) -> list[str]:
    return [k["kid"] for k in document["keys"]]


@pytest.fixture
def server() -> Iterator[KeyServer]:
    keys = KeyServer({"keys": [{"kid": "v1"}]})
    yield keys
    keys.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_cache(server: KeyServer) -> Callable[..., KeySetCache[list[str]]]:
    def make(**overrides: Any) -> KeySetCache[list[str]]:
        options: dict[str, Any] = {
            "ttl": 600,
            "min_refetch": 30,
            "timeout": 5.0,
            "unavailable": Unavailable,
            "max_stale": 3600,
            "failure_cooldown": 30,
            **overrides,
        }
        return KeySetCache(server.url, versions, **options)

    return make


def run_concurrently(call: Callable[[], Any], count: int) -> list[Any]:
    """Runs `call` in `count` threads released together; returns each result or exception."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    return outcomes


def test_concurrent_callers_without_keys_share_one_failing_fetch(server, make_cache) -> None:
    """The issue's finding: six checks against a hanging key server used to fetch one after
    another behind a lock (six timeouts in a row). Now one fetch serves them all."""
    server.mode = "hang"
    cache = make_cache(timeout=0.5)
    outcomes = run_concurrently(cache.get, 6)
    assert all(isinstance(o, Unavailable) for o in outcomes), outcomes
    assert server.hits == 1


def test_concurrent_callers_without_keys_wait_for_the_one_fetch(server, make_cache) -> None:
    server.mode = "hang"
    cache = make_cache()
    threading.Thread(target=lambda: (server.hit.wait(30), server.release.set())).start()
    outcomes = run_concurrently(cache.get, 6)
    assert outcomes == [["v1"]] * 6
    assert server.hits == 1


def test_a_failed_fetch_is_remembered_for_the_cooldown(server, make_cache, clock) -> None:
    server.mode = "fail"
    cache = make_cache(clock=clock)
    with pytest.raises(Unavailable):
        cache.get()
    clock.now += 29
    with pytest.raises(Unavailable):
        cache.get()  # fails fast: no second request
    assert server.hits == 1
    server.mode = "serve"
    clock.now += 2
    assert cache.get() == ["v1"]
    assert server.hits == 2


def test_stale_keys_serve_while_one_refresh_runs(server, make_cache, clock) -> None:
    cache = make_cache(clock=clock)
    assert cache.get() == ["v1"]
    clock.now += 601  # past the TTL
    server.mode, server.document = "hang", {"keys": [{"kid": "v2"}]}
    server.hit.clear()
    refreshed: list[list[str]] = []
    refresher = threading.Thread(target=lambda: refreshed.append(cache.get()))
    refresher.start()
    assert server.hit.wait(30)  # the refresh is at the key server, and stays there
    assert cache.get() == ["v1"]  # another caller answers with the stale keys at once
    assert refresher.is_alive()  # ... while the refresh is still running
    server.release.set()
    refresher.join(30)
    assert refreshed == [["v2"]]
    assert cache.get() == ["v2"]
    assert server.hits == 2


def test_stale_keys_serve_through_a_failed_refresh_up_to_max_stale(
    server, make_cache, clock
) -> None:
    cache = make_cache(clock=clock)
    assert cache.get() == ["v1"]
    server.mode = "fail"
    clock.now += 601
    assert cache.get() == ["v1"]  # the refresh failed: the keys we have still verify
    assert cache.get() == ["v1"]  # within the cooldown: no new attempt
    assert server.hits == 2
    clock.now += 3600  # past TTL + max_stale: nothing usable is left
    with pytest.raises(Unavailable):
        cache.get()
    assert server.hits == 3


def test_refetch_for_a_missing_key(server, make_cache, clock) -> None:
    cache = make_cache(clock=clock)
    assert cache.get() == ["v1"]
    server.document = {"keys": [{"kid": "v1"}, {"kid": "v2"}]}
    assert cache.get(refetch=True) == ["v1"]  # too soon after the last fetch
    assert server.hits == 1
    clock.now += 31
    assert cache.get(refetch=True) == ["v1", "v2"]
    assert server.hits == 2
    # a refetch that fails is the caller's 503 (it needs a key it cannot get) ...
    server.mode = "fail"
    clock.now += 31
    with pytest.raises(Unavailable):
        cache.get(refetch=True)
    # ... and during the cooldown the set it has is what it gets, without a request
    assert cache.get(refetch=True) == ["v1", "v2"]
    assert server.hits == 3


def test_a_malformed_document_is_a_failed_fetch(server, make_cache, clock) -> None:
    server.document = {"keys": "not a list"}
    cache = make_cache(clock=clock)
    with pytest.raises(Unavailable):
        cache.get()
    with pytest.raises(Unavailable):
        cache.get()
    assert server.hits == 1
