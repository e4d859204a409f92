"""A signing-key set published over HTTP (a JWKS), cached, and refetched early on demand.

Both Supabase's token keys and fal's webhook keys follow the same rules: keep the set for
`ttl` seconds; when a signature needs a key the set lacks, fetch again, but at most once
per `min_refetch` seconds, so a flood of forged signatures cannot become a flood of
requests to the key server. httpx is imported on the first fetch, not at cold start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import httpx

Keys = TypeVar("Keys")


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
        keep_stale_on_error: bool,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refetch = min_refetch
        self._parse = parse
        self._timeout = timeout
        self._unavailable = unavailable
        self._keep_stale = keep_stale_on_error
        self._http = http
        self._keys: Keys | None = None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, *, refetch: bool = False) -> Keys:
        """The cached set; `refetch` asks for a fresh one (the caller lacks a key)."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.ttl or (refetch and age > self.min_refetch):
                self._fetch()
            assert self._keys is not None
            return self._keys

    def _fetch(self) -> None:
        import httpx

        if self._http is None:
            self._http = httpx.Client(timeout=self._timeout)
        try:
            response = self._http.get(self.url)
            response.raise_for_status()
            keys = self._parse(response.json())
        except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
            if self._keep_stale and self._keys is not None:
                return  # keep the keys we have
            raise self._unavailable() from exc
        self._keys = keys
        self._fetched_at = time.monotonic()
