"""Retention throughput (issue 15): how many expired videos one run deletes per second,
and what one batch costs, so RETENTION_BATCH_SIZE and RETENTION_TIME_BUDGET_SECONDS can be
sized against the function's 300 s timeout.

On an embedded Postgres and the local S3 server (SeaweedFS): `--old` expired videos (an
object each, and its `files` row) among `--young` rows that must be kept (the search walks
past them). Runs the real handler with batches of `--batch`, the time budget large enough
for one run to finish; then reports videos deleted per second, and the expired-video search
alone on the young rows (index range scan, `files_created_idx`).

    .venv/bin/python bench/retention.py [--old 2000] [--young 20000] [--batch 200]

Local S3 on loopback is faster than Supabase Storage over the internet: in production the
per-object DELETE's round trip dominates (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import boto3
import psycopg

from _stack import stack
from tests.support.handlers import load_handler

SCHOOL = "00000000-0000-0000-0000-000000000001"


def seed(url: str, old: int, young: int) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["STORAGE_ENDPOINT_URL"],
        aws_access_key_id=os.environ["STORAGE_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["STORAGE_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    with psycopg.connect(url, autocommit=True) as conn:
        (user,) = conn.execute(
            "insert into auth.users (email) values ('bench@school.example') returning id"
        ).fetchone()
        conn.execute(
            """with j as (
                 insert into public.jobs (user_id, school_id, model, prompt, status, created_at)
                 select %(user)s, %(school)s, 'fal-ai/ltx-video', 'p', 'completed',
                        now() - make_interval(days => case when n <= %(old)s then 200 else 10 end)
                 from generate_series(1, %(total)s) n
                 returning id, created_at
               )
               insert into public.files (job_id, user_id, bucket, object_key, content_type,
                                         size_bytes, sha256, created_at)
               select id, %(user)s, 'videos', 'videos/' || %(user)s || '/' || id || '.mp4',
                      'video/mp4', 1, repeat('a', 64), created_at from j""",
            {"user": user, "school": SCHOOL, "old": old, "total": old + young},
        )
        keys = [
            key
            for (key,) in conn.execute(
                "select object_key from public.files where created_at < now() - interval '100 days'"
            )
        ]
    for key in keys:
        s3.put_object(Bucket="videos", Key=key, Body=b"\x00\x00\x00\x18ftypmp42")


def search_ms(url: str, batch: int) -> float:
    from videogen.retention.service import DEFAULT_SCHOOL, EXPIRED

    args = {"default_school": DEFAULT_SCHOOL, "bucket": "videos", "skip": [], "limit": batch}
    with psycopg.connect(url) as conn:
        conn.execute(EXPIRED, args).fetchall()  # warm
        started = time.perf_counter()
        for _ in range(20):
            conn.execute(EXPIRED, args).fetchall()
        return (time.perf_counter() - started) / 20 * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=int, default=2000)
    parser.add_argument("--young", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with stack() as (url, _fal):
        seed(url, args.old, args.young)
        os.environ.update(RETENTION_BATCH_SIZE=str(args.batch), RETENTION_TIME_BUDGET_SECONDS="840")
        handler = load_handler("retention").handler
        started = time.perf_counter()
        summary = handler({"source": "aws.events"}, None)
        elapsed = time.perf_counter() - started
        result = {
            "old": args.old,
            "young": args.young,
            "batch": args.batch,
            "deleted": summary["deleted"],
            "batches": summary["batches"],
            "seconds": round(elapsed, 2),
            "videos_per_second": round(summary["deleted"] / elapsed, 1),
            "seconds_per_batch": round(elapsed / max(summary["batches"], 1), 3),
            "search_ms_nothing_expired": round(search_ms(url, args.batch), 2),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
