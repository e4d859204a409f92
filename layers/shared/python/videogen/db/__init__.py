"""Postgres access: one lazily opened pool per process, reused across warm invocations.

In production the URL points at Supabase's transaction pooler (Supavisor, port 6543), which
does not keep prepared statements between transactions: `prepare_threshold=None` turns
psycopg's automatic prepared statements off. psycopg is imported on first use, not at
import time, so a cold start that answers without the database does not pay for it.
A lost or unreachable database surfaces as `DatabaseUnavailable` (503, nothing committed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from videogen.errors import AppError, ServiceUnavailable
from videogen.settings import Settings, get_settings

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    message = "The database is unavailable; nothing was changed. Try again shortly."


class InvalidData(AppError):
    """Postgres refused a value (SQLSTATE class 22: a NUL character, a number out of range).
    Only client input reaches queries as values, so this is the client's 422, not a 500."""

    status_code = 422
    code = "invalid_data"
    message = "A value in the request cannot be stored (a NUL character, or out of range)."


class Database:
    def __init__(
        self,
        url: str,
        *,
        max_size: int = 4,
        connect_timeout: int = 5,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self._url = url
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        assert settings.database_url is not None  # enforced by Settings
        return cls(
            settings.database_url.get_secret_value(),
            max_size=settings.db_pool_max_size,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )

    def _open_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                from psycopg.rows import dict_row
                from psycopg_pool import ConnectionPool

                kwargs: dict[str, Any] = {
                    "prepare_threshold": None,
                    "connect_timeout": self._connect_timeout,
                    "row_factory": dict_row,
                    "options": f"-c statement_timeout={self._statement_timeout_ms}",
                }
                pool = ConnectionPool(
                    self._url,
                    min_size=0,
                    max_size=self._max_size,
                    open=False,
                    timeout=self._connect_timeout * 2,
                    check=ConnectionPool.check_connection,
                    kwargs=kwargs,
                    name="videogen",
                )
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled connection; the block runs in one transaction, committed on success."""
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = self._pool or self._open_pool()
        try:
            with pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailable() from exc
        except psycopg.DataError as exc:
            raise InvalidData() from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


@lru_cache
def get_database() -> Database:
    return Database.from_settings(get_settings())
