"""Webhook answer time through the Lambda handler (Mangum, API Gateway v2 events) on a local
Postgres, one delivery at a time as one Lambda instance handles them, against the raw SQL
status update alone as the ceiling. An `OK` delivery records `finishing` and queues a copy
task (the local SQLite copy queue); the video itself is copied later by the copy worker,
so its size does not count here. Also checks what a duplicate delivery costs the
database: index scans and rows written, read from Postgres's own statistics.

    .venv/bin/python bench/webhooks.py [--jobs 300]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

import psycopg

from _stack import stack, summary
from tests.support.apigw import http_api_event, invoke
from tests.support.fal import webhook_query
from tests.support.handlers import load_handler
from videogen.db import get_database


def make_user(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "insert into auth.users (email) values ('bench@school.example') returning id::text"
        ).fetchone()[0]


def make_jobs(url: str, user: str, n: int) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = []
        for _ in range(n):
            request_id = str(uuid.uuid4())
            job = conn.execute(
                """insert into public.jobs (user_id, model, prompt, status, fal_request_id,
                                            submitted_at)
                   values (%s, 'fal-ai/ltx-video', 'bench', 'submitted', %s, now())
                   returning id::text""",
                (user, request_id),
            ).fetchone()[0]
            rows.append((job, request_id))
    return rows


def table_stats(url: str) -> dict[str, int]:
    get_database().close()  # ending the pool's backends flushes their statistics
    time.sleep(1.2)
    with psycopg.connect(url, autocommit=True) as conn:
        jobs = conn.execute(
            "select idx_scan, n_tup_upd from pg_stat_user_tables where relname = 'jobs'"
        ).fetchone()
        events = conn.execute(
            "select n_tup_ins from pg_stat_user_tables where relname = 'webhook_events'"
        ).fetchone()
    return {"jobs_idx_scan": jobs[0], "jobs_updated": jobs[1], "events_inserted": events[0]}


def deliver_all(handler, fal, jobs, *, ok: bool) -> list[float]:
    timings = []
    for job_id, request_id in jobs:
        body, headers = fal.delivery(request_id, ok=ok)
        event = http_api_event(
            "POST", "/webhooks/fal", raw_body=body, headers=headers, query=webhook_query(job_id)
        )
        start = time.perf_counter()
        status, _, answer = invoke(handler, event)
        timings.append(time.perf_counter() - start)
        assert status == 200, answer
    return timings


def raw_sql_ceiling(url: str, jobs) -> list[float]:
    timings = []
    with psycopg.connect(url, prepare_threshold=None) as conn:
        for job_id, _ in jobs:
            start = time.perf_counter()
            conn.execute(
                """update public.jobs set status = 'failed', finished_at = now()
                   where id = %s and status = any(%s)""",
                (job_id, ["queued", "submitted", "in_progress"]),
            )
            conn.commit()
            timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args()
    with stack() as (url, fal):
        handler = load_handler("webhooks").handler
        user = make_user(url)
        warm = make_jobs(url, user, 5)
        deliver_all(handler, fal, warm, ok=False)  # warm: imports, JWKS, pool
        ok_jobs, error_jobs, sql_jobs = (make_jobs(url, user, args.jobs) for _ in range(3))
        slow_jobs = make_jobs(url, user, max(args.jobs // 10, 10))
        results = {
            "delivery_ok_copy_queued": summary(deliver_all(handler, fal, ok_jobs, ok=True)),
            "delivery_error": summary(deliver_all(handler, fal, error_jobs, ok=False)),
        }
        # A video host that takes 20 s to answer (a large video, a slow CDN): the webhook
        # never fetches it, so its answer time must not move.
        fal.media_delay = 20.0
        results["delivery_ok_media_host_20s_slow"] = summary(
            deliver_all(handler, fal, slow_jobs, ok=True)
        )
        fal.media_delay = 0.0
        assert fal.media_fetches == 0, "the webhook must not download the video"
        before = table_stats(url)
        results["delivery_duplicate"] = summary(deliver_all(handler, fal, error_jobs, ok=False))
        after = table_stats(url)
        results["raw_sql_update_ceiling"] = summary(raw_sql_ceiling(url, sql_jobs))
        per_duplicate = {k: (after[k] - before[k]) / args.jobs for k in before}
        results["database_cost_per_duplicate"] = per_duplicate
    ceiling = results["raw_sql_update_ceiling"]["per_second"]
    for row in results.values():
        if "per_second" in row:
            row["vs_ceiling"] = round(row["per_second"] / ceiling, 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
