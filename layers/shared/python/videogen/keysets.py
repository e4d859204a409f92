"""A signing-key set published over HTTP (a JWKS), cached, and refetched early on demand.

Both Supabase's token keys and fal's webhook keys follow the same rules:

- **Fresh for `ttl`** seconds after a fetch; a caller that needs a key the set lacks may ask
  for a refetch, honoured once the set is `min_refetch` seconds old (a flood of forged
  `kid`s is not a flood of requests to the key server).
- **One fetch at a time** (single flight): the first caller that needs a fetch makes it,
  outside the lock. Callers that arrive meanwhile and hold usable keys answer with them at
  once; callers with none wait for that same fetch's result instead of queueing behind a
  lock to each make their own (six concurrent checks against a hanging server used to fail
  one timeout apart: 2, 4, … 12 s).
- **Stale while revalidating**: past `ttl`, the keys keep verifying for up to `max_stale`
  more seconds while a refresh runs, and when the refresh fails.
- **Failures are remembered** for `failure_cooldown` seconds: meanwhile callers without
  usable keys fail at once (the caller's 503) instead of each waiting for a timeout.

httpx is imported on the first fetch, not at cold start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import httpx

Keys = TypeVar("Keys")


class _Flight(Generic[Keys]):
    """One fetch in progress; waiters block on `done` and read its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.keys: Keys | None = None


class KeySetCache(Generic[Keys]):
    def __init__(
        self,
        url: str,
        parse: Callable[[dict[str, Any]], Keys],
        *,
        ttl: float,
        min_refetch: float,
        timeout: float,
        unavailable: Callable[[], Exception],
        max_stale: float,
        failure_cooldown: float = 30.0,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refetch = min_refetch
        self.max_stale = max_stale
        self.failure_cooldown = failure_cooldown
        self._parse = parse
        self._timeout = timeout
        self._unavailable = unavailable
        self._http = http
        self._clock = clock
        self._keys: Keys | None = None
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._flight: _Flight[Keys] | None = None
        self._lock = threading.Lock()

    def get(self, *, refetch: bool = False) -> Keys:
        """The key set; `refetch` asks for a newer one (the caller lacks a key).

        Raises the `unavailable` error when there are no usable keys and none could be
        fetched, or when a refetch was needed and failed."""
        with self._lock:
            now = self._clock()
            age = now - self._fetched_at
            usable = self._keys if age <= self.ttl + self.max_stale else None
            fresh = self._keys is not None and age <= self.ttl
            wants_fetch = not fresh or (refetch and age > self.min_refetch)
            if not wants_fetch:
                assert self._keys is not None
                return self._keys
            flight = self._flight
            leader = False
            if flight is None:
                if now - self._failed_at < self.failure_cooldown:
                    # the key server failed moments ago: no new attempt until the cooldown
                    # ends; serve what we have, or fail fast
                    if usable is not None:
                        return usable
                    raise self._unavailable()
                flight = self._flight = _Flight()
                leader = True
            elif usable is not None and not refetch:
                return usable  # stale while another caller revalidates
        if leader:
            self._run(flight)
        else:
            flight.done.wait()
        if flight.keys is not None:
            return flight.keys
        if usable is not None and not refetch:
            return usable
        raise self._unavailable()

    def _run(self, flight: _Flight[Keys]) -> None:
        """Fetches outside the lock and publishes the outcome to every waiter."""
        keys: Keys | None = None
        try:
            keys = self._fetch()
        finally:
            with self._lock:
                if keys is not None:
                    self._keys = keys
                    self._fetched_at = self._clock()
                else:
                    self._failed_at = self._clock()
                flight.keys = keys
                self._flight = None
            flight.done.set()

    def _fetch(self) -> Keys | None:
        import httpx

        if self._http is None:
            self._http = httpx.Client(timeout=self._timeout)
        try:
            response = self._http.get(self.url)
            response.raise_for_status()
            return self._parse(response.json())
        except (httpx.HTTPError, ValueError, AttributeError, TypeError):
            return None
