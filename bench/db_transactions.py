"""What setting the timeouts inside each transaction costs (issue 11, part 5).

Supabase's transaction pooler drops startup options, so `Database` no longer passes
`options=-c statement_timeout=…` at connect: each transaction starts with
`set_config('statement_timeout', …, true)` (and the idle-in-transaction timeout), run as the
pool's checkout probe. Three ways, measured in the same run on one embedded Postgres, one
connection (as in Lambda), transactions interleaved round by round:

- `old`: the previous code, replicated here: timeout as a startup option, the pool's
  default liveness probe (`check_connection`) on checkout;
- `new`: `videogen.db.Database` as shipped (the `set_config` statement is the probe);
- `naive`: the default probe, then the `set_config` statement at the start of the block —
  one more round trip, what the shipped version avoids.

Each transaction is `select 1` (the cheapest, so the overhead shows most) or one primary-key
read from `public.jobs`, committed.

    .venv/bin/python bench/db_transactions.py [--transactions 3000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from _stack import stack, summary
from videogen.db import Database

STATEMENT_TIMEOUT_MS = 10_000
QUERIES = {
    "select 1": ("select 1", None),
    "pk read": ("select id, status from public.jobs where id = %s", "job"),
}


def old_pool(url: str) -> ConnectionPool:
    return ConnectionPool(
        url,
        min_size=1,
        max_size=1,
        check=ConnectionPool.check_connection,
        kwargs={
            "prepare_threshold": None,
            "connect_timeout": 5,
            "row_factory": dict_row,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
        open=True,
    )


def naive_pool(url: str) -> ConnectionPool:
    return ConnectionPool(
        url,
        min_size=1,
        max_size=1,
        check=ConnectionPool.check_connection,
        kwargs={"prepare_threshold": None, "connect_timeout": 5, "row_factory": dict_row},
        open=True,
    )


def naive_connection(pool: ConnectionPool) -> Callable[[], AbstractContextManager[Any]]:
    @contextmanager
    def connection() -> Iterator[psycopg.Connection[Any]]:
        with pool.connection() as conn:
            conn.execute(
                "select set_config('statement_timeout', %s, true), "
                "set_config('idle_in_transaction_session_timeout', %s, true)",
                (str(STATEMENT_TIMEOUT_MS), "300000"),
            )
            yield conn

    return connection


def make_job(url: str) -> str:
    with psycopg.connect(url) as conn:
        user = conn.execute(
            "insert into auth.users (email) values ('bench-db@school.example') returning id"
        ).fetchone()[0]
        return str(
            conn.execute(
                """insert into public.jobs (user_id, model, prompt, status)
                   values (%s, 'fal-ai/ltx-video', 'bench', 'queued') returning id""",
                (user,),
            ).fetchone()[0]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=3000)
    args = parser.parse_args()
    with stack() as (url, _fal):
        job = make_job(url)
        old = old_pool(url)
        naive = naive_pool(url)
        new = Database(url, max_size=1, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
        ways: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            "old": old.connection,
            "new": new.connection,
            "naive": naive_connection(naive),
        }
        results: dict[str, dict[str, Any]] = {}
        for label, (sql, param) in QUERIES.items():
            params = (job,) if param else None
            timings: dict[str, list[float]] = {name: [] for name in ways}
            for connection in ways.values():  # warm up every pool
                for _ in range(50):
                    with connection() as conn:
                        conn.execute(sql, params).fetchall()
            for _ in range(args.transactions):
                for name, connection in ways.items():
                    start = time.perf_counter()
                    with connection() as conn:
                        conn.execute(sql, params).fetchall()
                    timings[name].append(time.perf_counter() - start)
            base = summary(timings["old"])
            for name, values in timings.items():
                row = summary(values)
                row["x_old_p50"] = round(row["p50_ms"] / base["p50_ms"], 2)
                results[f"{label} / {name}"] = row
        with new.connection() as conn:  # and the timeout is really in force
            shown = conn.execute("show statement_timeout").fetchone()["statement_timeout"]
        old.close()
        naive.close()
        new.close()
    print(f"{'transaction / way':<22}{'p50 ms':>9}{'p99 ms':>9}{'x old p50':>11}")
    for name, row in results.items():
        print(f"{name:<22}{row['p50_ms']:>9.3f}{row['p99_ms']:>9.3f}{row['x_old_p50']:>11.2f}")
    print(f"statement_timeout inside a `new` transaction: {shown}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
