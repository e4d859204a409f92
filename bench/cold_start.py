"""Cold start of each Lambda function: a fresh Python process imports the handler and
answers its first request (an API Gateway v2 event through Mangum), timed whole-process.

Baselines measured in the same run: `python -c pass` and a bare FastAPI + Mangum app
answering one request. The target (issue 8): no function above 1.3x the bare app.

    .venv/bin/python bench/cold_start.py [--runs 9]
    .venv/bin/python bench/cold_start.py --snapstart [--runs 9]

`--snapstart` times, inside each HTTP function's process, the initialisation and the first
request apart, with and without `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`: under
SnapStart the initialisation runs once per published version, off the request path, so a
restored environment's first request pays only the second figure (plus Lambda's restore).

The first requests need no database (a 401, the model list), so the figure is import and
app cost, not network. Production settings are used (Supabase, fal, S3 adapters).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EVENT = """
import json, time
def event(method, path, body=None, headers=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json", **(headers or {})},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                               "sourceIp": "203.0.113.7", "userAgent": "bench"},
                               "requestId": "r", "routeKey": "$default", "stage": "$default",
                               "accountId": "1", "apiId": "a", "domainName": "d",
                               "domainPrefix": "d", "time": "", "timeEpoch": 0},
            "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False}
class Ctx:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:1:function:bench"
    def get_remaining_time_in_millis(self): return 30000
"""

FIRST_REQUESTS = {
    "auth": 'event("POST", "/auth/login", {"email": "nobody", "password": "x"})',
    "generations": 'event("GET", "/models")',
    "webhooks": 'event("POST", "/webhooks/fal", {"request_id": "r", "status": "OK"})',
    "admin": 'event("GET", "/admin/users")',
    "kpis": 'event("GET", "/admin/kpis")',
}

BARE_APP = """
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/models")
def models() -> list[dict]:
    return [{"key": "fal-ai/ltx-video"}]
handler = Mangum(app, lifespan="off")
"""


def script_for(function: str, import_only: bool = False) -> str:
    load = (
        "import importlib.util\n"
        f"path = 'functions/{function}/handler.py'\n"
        "spec = importlib.util.spec_from_file_location('handler', path)\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "handler = module.handler\n"
    )
    if function in FIRST_REQUESTS and not import_only:
        call = f"response = handler({FIRST_REQUESTS[function]}, Ctx())\n"
        check = "assert response['statusCode'] < 500, response\n"
    else:  # scheduled functions: import only (their first run needs AWS or a database)
        call, check = "", ""
    return EVENT + load + call + check


def bench_env() -> dict[str, str]:
    """Production settings (tests/support/production.py), with an HS256 secret so the first
    request verifies a token without a JWKS server."""
    sys.path.insert(0, str(ROOT))
    from tests.support.production import production_env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        production_env(
            LOG_LEVEL="WARNING",
            SUPABASE_JWT_SECRET="bench-secret-bench-secret-bench-secret",
            JWT_JWKS_ENABLED="false",
            STORAGE_BUCKET="videos",
            AWS_DEFAULT_REGION="eu-west-3",
            KPI_RUNNER_BACKEND="emr",
        )
    )
    return env


def time_process(code: str, runs: int, env: dict[str, str]) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        timings.append(time.perf_counter() - start)
    return timings


def user_requests(token: str) -> dict[str, str]:
    """First requests that use the function's adapters without a database: a verified token
    (generations' price estimate), a token whose signature fails (admin, kpis: refused
    before their database read), sign-in's identity adapter, the webhook's URL check."""
    auth = f"{{'authorization': 'Bearer {token}'}}"
    forged = f"{{'authorization': 'Bearer {token[:-4]}AAAA'}}"
    estimate = '{"model": "fal-ai/ltx-video", "params": {}}'
    return {
        "auth": FIRST_REQUESTS["auth"],
        "generations": f'event("POST", "/generations/estimate", {estimate}, headers={auth})',
        "webhooks": FIRST_REQUESTS["webhooks"],
        "admin": f'event("GET", "/admin/users", headers={forged})',
        "kpis": f'event("GET", "/admin/kpis", headers={forged})',
    }


def bench_token(env: dict[str, str]) -> str:
    import uuid

    import jwt

    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "iss": env["SUPABASE_URL"].rstrip("/") + "/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
    }
    return jwt.encode(claims, env["SUPABASE_JWT_SECRET"], algorithm="HS256")


def timed_script_for(function: str, request: str) -> str:
    """Prints the initialisation and first-request seconds of one process."""
    return (
        EVENT
        + "start = time.perf_counter()\n"
        + script_for(function, import_only=True)
        + "init = time.perf_counter() - start\n"
        + f"response = handler({request}, Ctx())\n"
        + "first = time.perf_counter() - start - init\n"
        + "assert response['statusCode'] in (200, 401, 422), response\n"
        + "print(json.dumps({'init': init, 'first': first}))\n"
    )


def snapstart_table(functions: list[str], runs: int, env: dict[str, str]) -> None:
    modes = {"on-demand": "on-demand", "SnapStart": "snap-start"}
    requests = user_requests(bench_token(env))
    print(f"{'function':<14}{'mode':<11}{'init s':>9}{'first request s':>17}")
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for function in [f for f in functions if f in FIRST_REQUESTS]:
        for label, kind in modes.items():
            samples = []
            for _ in range(runs):
                out = subprocess.run(
                    [sys.executable, "-c", timed_script_for(function, requests[function])],
                    cwd=ROOT,
                    env={**env, "AWS_LAMBDA_INITIALIZATION_TYPE": kind},
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                samples.append(json.loads(out.strip().splitlines()[-1]))
            row = {k: statistics.median(s[k] for s in samples) for k in ("init", "first")}
            figures.setdefault(function, {})[label] = row
            print(f"{function:<14}{label:<11}{row['init']:>9.3f}{row['first']:>17.3f}")
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--functions", nargs="*", help="default: every functions/*/handler.py")
    parser.add_argument(
        "--import-only", action="store_true", help="no first request (the bare app answers none)"
    )
    parser.add_argument(
        "--snapstart", action="store_true", help="initialisation and first request, apart"
    )
    args = parser.parse_args()
    env = bench_env()
    functions = args.functions or sorted(
        p.parent.name for p in (ROOT / "functions").glob("*/handler.py")
    )
    if args.snapstart:
        snapstart_table(functions, args.runs, env)
        return
    rows: dict[str, float] = {}
    rows["python -c pass"] = statistics.median(time_process("pass", args.runs, env))
    bare = EVENT + BARE_APP
    if not args.import_only:
        bare += "handler(event('GET', '/models'), Ctx())\n"
    rows["bare FastAPI + Mangum"] = statistics.median(time_process(bare, args.runs, env))
    for function in functions:
        script = script_for(function, args.import_only)
        rows[function] = statistics.median(time_process(script, args.runs, env))
    baseline = rows["bare FastAPI + Mangum"]
    print(f"{'process':<24}{'median s':>10}{'x bare':>9}")
    for name, seconds in rows.items():
        print(f"{name:<24}{seconds:>10.3f}{seconds / baseline:>9.2f}")
    print(json.dumps({k: round(v, 4) for k, v in rows.items()}))


if __name__ == "__main__":
    main()
