"""Submission latency through the generations Lambda handler (Mangum, API Gateway v2
events): validation, budget reservation, the job row, the fake fal queue over HTTP, the
status update. Sequential, as one Lambda instance serves requests. A GET /generations/{id}
read is timed alongside for comparison.

Two students in two schools, their submissions interleaved one by one in the same run:
**count-only** (a school with no money limits: only the student's daily video cap binds, the
baseline that replaced the counting quota) and **budgets-on** (a school monthly budget, a
class monthly cap the job is filed under, a daily money cap for the role; all far from
reached, so every submission reserves against four scopes and is accepted).

    .venv/bin/python bench/submissions.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import psycopg

from _stack import stack, summary
from tests.support.apigw import http_api_event, invoke
from tests.support.handlers import load_handler

KLING = {
    "model": "fal-ai/kling-video/v2.1/master/text-to-video",
    "prompt": "tides",
    "params": {"duration": "5", "aspect_ratio": "16:9"},
}


def student(url: str, email: str, *, budgets: bool) -> tuple[dict[str, str], str | None]:
    """A signed-in student of a school of their own: (headers, class id or None)."""
    auth = load_handler("auth").handler
    body = {"email": email, "password": "bench-pass-1", "display_name": "B"}
    status, _, answer = invoke(auth, http_api_event("POST", "/auth/register", body=body))
    assert status == 202, answer
    login = {"email": email, "password": "bench-pass-1"}
    status, _, answer = invoke(auth, http_api_event("POST", "/auth/login", body=login))
    assert status == 200, answer
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    with psycopg.connect(url) as conn:
        (school,) = conn.execute(
            "insert into public.schools (name, monthly_budget) values (%s, %s) returning id",
            (email, 10_000_000 if budgets else None),
        ).fetchone()  # type: ignore[misc]
        conn.execute(
            "update public.profiles set school_id = %s, daily_video_cap = 1000000 where email = %s",
            (school, email),
        )
        conn.execute(
            "update public.school_role_limits set daily_money = %s where school_id = %s",
            (10_000_000 if budgets else None, school),
        )
        if not budgets:
            return headers, None
        (klass,) = conn.execute(
            "insert into public.classes (school_id, name, monthly_cap) values (%s, 'C', 10000000)"
            " returning id",
            (school,),
        ).fetchone()  # type: ignore[misc]
        conn.execute(
            "insert into public.class_members (class_id, user_id, role)"
            " select %s, id, 'student' from public.profiles where email = %s",
            (klass, email),
        )
    return headers, str(klass)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with stack() as (url, _fal):
        os.environ["OPEN_SIGNUP"] = "true"  # registration without a class code (then moved)
        modes: dict[str, dict[str, Any]] = {}
        for name, budgets in (("count_only", False), ("budgets_on", True)):
            headers, klass = student(url, f"{name}@school.example", budgets=budgets)
            body = {**KLING, **({"class_id": klass} if klass else {})}
            event = http_api_event("POST", "/generations", body=body, headers=headers)
            modes[name] = {"headers": headers, "event": event, "submit": [], "read": []}
        handler = load_handler("generations").handler
        for mode in modes.values():
            invoke(handler, mode["event"])  # warm: imports, pool, fal client
        for _ in range(args.requests):
            for mode in modes.values():  # interleaved: both see the same machine load
                start = time.perf_counter()
                status, _, job = invoke(handler, mode["event"])
                mode["submit"].append(time.perf_counter() - start)
                assert status == 201, job
                read = http_api_event("GET", f"/generations/{job['id']}", headers=mode["headers"])
                start = time.perf_counter()
                status, _, _ = invoke(handler, read)
                mode["read"].append(time.perf_counter() - start)
                assert status == 200
        with psycopg.connect(url) as conn:
            scopes = dict(
                conn.execute(
                    """select p.email, count(distinct l.scope) from public.budget_ledger l
                       join public.profiles p on p.id = l.user_id group by 1"""
                ).fetchall()
            )
        base = statistics.median(modes["count_only"]["submit"])
        on = statistics.median(modes["budgets_on"]["submit"])
        print(
            json.dumps(
                {
                    **{
                        name: {"submit": summary(m["submit"]), "read_one": summary(m["read"])}
                        for name, m in modes.items()
                    },
                    "scopes_reserved": scopes,
                    "budgets_on_over_count_only_p50": round(on / base, 2),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
