"""Postgres access: one lazily opened pool per process, reused across warm invocations.

In production the URL points at Supabase's transaction pooler (Supavisor, port 6543), which
does not keep prepared statements between transactions: `prepare_threshold=None` turns
psycopg's automatic prepared statements off. The pooler also drops startup parameters such
as `options=-c statement_timeout=…`, so the timeouts are set inside each transaction instead
(`set_config(…, true)`, i.e. `SET LOCAL`): see `Database.connection`.
psycopg is imported on first use, not at import time, so a cold start that answers without
the database does not pay for it. A lost or unreachable database surfaces as
`DatabaseUnavailable`, a statement cancelled by its timeout as `DatabaseTimeout` (both 503,
nothing committed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

from videogen.errors import AppError, ServiceUnavailable
from videogen.settings import Settings, require_settings

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

# What `Database.connection` yields: rows are dicts (`row_factory=dict_row`). A string, so
# importing it costs no psycopg import.
Connection: TypeAlias = "psycopg.Connection[dict[str, Any]]"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    message = "The database is unavailable; nothing was changed. Try again shortly."


class DatabaseTimeout(ServiceUnavailable):
    """A statement outlived `DB_STATEMENT_TIMEOUT_MS` and Postgres cancelled it (SQLSTATE
    57014). The transaction is rolled back; the database is slow or busy, so this is a
    retryable 503 like an outage, with its own code (a 504 would read as API Gateway's)."""

    code = "database_timeout"
    message = "The database took too long to answer; nothing was changed. Try again shortly."


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
        idle_in_transaction_timeout_ms: int = 300_000,
        ca_file: str | None = None,
    ) -> None:
        self._url = url
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._ca_file = ca_file
        # Integers from the settings, so the statement needs no parameters and is the same
        # text every time.
        self._begin_sql = (
            f"select set_config('statement_timeout', '{int(statement_timeout_ms)}', true), "
            "set_config('idle_in_transaction_session_timeout', "
            f"'{int(idle_in_transaction_timeout_ms)}', true)"
        )
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Connection] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        assert settings.database_url is not None  # required by get_database
        ca_file = None
        if settings.database_ca_cert is not None:
            from videogen.db.tls import write_ca_file

            ca_file = str(write_ca_file(settings.database_ca_cert))
        return cls(
            settings.database_url.get_secret_value(),
            max_size=settings.db_pool_max_size,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
            ca_file=ca_file,
        )

    def connect_kwargs(self) -> dict[str, Any]:
        """What each new connection is opened with. No `options`: Supabase's transaction
        pooler would drop it silently, and its absence is what the tests rely on."""
        from psycopg.rows import dict_row

        kwargs: dict[str, Any] = {
            "prepare_threshold": None,
            "connect_timeout": self._connect_timeout,
            "row_factory": dict_row,
        }
        if self._ca_file is not None:
            kwargs["sslrootcert"] = self._ca_file
        return kwargs

    def _begin(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's check on checkout, and the start of the block's transaction.

        `set_config(…, true)` is `SET LOCAL`: the timeouts hold until this transaction ends,
        on whichever server connection the pooler lends for it, and never leak to the next
        client of that server connection. Run as the checkout probe, it costs no round trip
        beyond the one the pool's liveness check made before; a dead connection fails it and
        the pool hands out another.
        """
        conn.execute(self._begin_sql)

    def _open_pool(self) -> ConnectionPool[Connection]:
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                pool: ConnectionPool[Connection] = ConnectionPool(
                    self._url,
                    min_size=0,
                    max_size=self._max_size,
                    open=False,
                    timeout=self._connect_timeout * 2,
                    check=self._begin,
                    kwargs=self.connect_kwargs(),
                    name="videogen",
                )
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection; the block runs in one transaction, committed on success.

        The transaction starts with the statement and idle-in-transaction timeouts set
        locally. A block that commits midway and goes on runs the rest without them: commit
        only at the end (the refresh-token reuse check does).
        """
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = self._pool or self._open_pool()
        try:
            with pool.connection() as conn:
                yield conn
        except psycopg.errors.QueryCanceled as exc:
            raise DatabaseTimeout() from exc
        except (
            psycopg.OperationalError,
            psycopg.errors.IdleInTransactionSessionTimeout,
            PoolTimeout,
        ) as exc:
            raise DatabaseUnavailable() from exc
        except psycopg.DataError as exc:
            raise InvalidData() from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


@lru_cache
def get_database() -> Database:
    return Database.from_settings(require_settings("database"))
