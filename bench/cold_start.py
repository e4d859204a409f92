"""Cold start of each Lambda function: a fresh Python process imports the handler and
answers its first request (an API Gateway v2 event through Mangum), timed whole-process.

Baselines measured in the same run: `python -c pass` and a bare FastAPI + Mangum app
answering one request. The target (issue 8): no function above 1.3x the bare app.

    .venv/bin/python bench/cold_start.py [--runs 9]

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


def _throwaway_ca() -> str:
    """A CA certificate for the production settings' TLS check (no connection is made)."""
    sys.path.insert(0, str(ROOT))
    from tests.support.tls import make_ca

    return make_ca().cert_pem


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        APP_ENV="production",
        LOG_LEVEL="WARNING",
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/postgres?sslmode=verify-full",
        DATABASE_CA_CERT=_throwaway_ca(),
        SUPABASE_URL="https://ref.supabase.co",
        SUPABASE_ANON_KEY="anon",
        SUPABASE_SERVICE_ROLE_KEY="service",
        SUPABASE_JWT_SECRET="bench-secret-bench-secret-bench-secret",
        JWT_JWKS_ENABLED="false",
        FAL_KEY="fal",
        STORAGE_BUCKET="videos",
        AWS_DEFAULT_REGION="eu-west-3",
        EMR_APPLICATION_ID="app",
        EMR_EXECUTION_ROLE_ARN="arn:aws:iam::1:role/emr",
        KPI_RUNNER_BACKEND="emr",
        EMR_ARTIFACTS_URI="s3://artifacts/emr",
        EMR_OUTPUT_URI="s3://kpis/parquet",
        EMR_DATABASE_URL_SSM_PARAMETER="/videogen/bench/database-url",
        EMR_DATABASE_CA_SSM_PARAMETER="/videogen/bench/database-ca-cert",
    )
    return env


def time_process(code: str, runs: int, env: dict[str, str]) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--functions", nargs="*", help="default: every functions/*/handler.py")
    parser.add_argument(
        "--import-only", action="store_true", help="no first request (the bare app answers none)"
    )
    args = parser.parse_args()
    env = production_env()
    functions = args.functions or sorted(
        p.parent.name for p in (ROOT / "functions").glob("*/handler.py")
    )
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
