"""Submission latency through the generations Lambda handler (Mangum, API Gateway v2
events): validation, quota, the job row, the fake fal queue over HTTP, the status update.
Sequential, as one Lambda instance serves requests. A GET /generations/{id} read is timed
alongside for comparison.

    .venv/bin/python bench/submissions.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg

from _stack import stack, summary
from tests.support.apigw import http_api_event, invoke
from tests.support.handlers import load_handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with stack() as (url, _fal):
        auth = load_handler("auth").handler
        status, _, body = invoke(
            auth,
            http_api_event(
                "POST",
                "/auth/register",
                body={"email": "b@school.example", "password": "bench-pass-1", "display_name": "B"},
            ),
        )
        assert status == 202, body
        status, _, body = invoke(
            auth,
            http_api_event(
                "POST",
                "/auth/login",
                body={"email": "b@school.example", "password": "bench-pass-1"},
            ),
        )
        assert status == 200, body
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        with psycopg.connect(url) as conn:
            conn.execute("update public.profiles set daily_quota = 1000000")
        handler = load_handler("generations").handler
        submit = http_api_event(
            "POST",
            "/generations",
            body={
                "model": "fal-ai/kling-video/v2.1/master/text-to-video",
                "prompt": "tides",
                "params": {"duration": "5", "aspect_ratio": "16:9"},
            },
            headers=headers,
        )
        invoke(handler, submit)  # warm: imports, pool, fal client
        submits, reads = [], []
        for _ in range(args.requests):
            start = time.perf_counter()
            status, _, job = invoke(handler, submit)
            submits.append(time.perf_counter() - start)
            assert status == 201, job
            read = http_api_event("GET", f"/generations/{job['id']}", headers=headers)
            start = time.perf_counter()
            status, _, _ = invoke(handler, read)
            reads.append(time.perf_counter() - start)
            assert status == 200
        print(json.dumps({"submit": summary(submits), "read_one": summary(reads)}, indent=2))


if __name__ == "__main__":
    main()
