"""Postgres access: one lazily opened pool per process, reused across warm invocations.

In production the URL points at Supabase's transaction pooler (Supavisor, port 6543), which
does not keep prepared statements between transactions: `prepare_threshold=None` turns
psycopg's automatic prepared statements off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from videogen.settings import Settings, get_settings


class Database:
    def __init__(
        self,
        url: str,
        *,
        max_size: int = 4,
        connect_timeout: int = 5,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self._lock = threading.Lock()
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=max_size,
            open=False,
            timeout=connect_timeout * 2,
            check=ConnectionPool.check_connection,
            kwargs={
                "prepare_threshold": None,
                "connect_timeout": connect_timeout,
                "row_factory": dict_row,
                "options": f"-c statement_timeout={statement_timeout_ms}",
            },
            name="videogen",
        )
        self._opened = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        assert settings.database_url is not None  # enforced by Settings
        return cls(
            settings.database_url.get_secret_value(),
            max_size=settings.db_pool_max_size,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )

    def _ensure_open(self) -> None:
        if not self._opened:
            with self._lock:
                if not self._opened:
                    self._pool.open(wait=False)
                    self._opened = True

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict]]:
        """A pooled connection; the block runs in one transaction, committed on success."""
        self._ensure_open()
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        if self._opened:
            self._pool.close()
            self._opened = False


@lru_cache
def get_database() -> Database:
    return Database.from_settings(get_settings())
