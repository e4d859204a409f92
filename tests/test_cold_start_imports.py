"""Import time is cold-start time: no function imports a heavy client before a request
needs it (timings live in bench/cold_start.py; this guards what is imported)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tls import make_ca

ROOT = Path(__file__).resolve().parents[1]
# Also on the Lambda runtime (make test): the handlers' imports, there from the layer.
pytestmark = pytest.mark.lambda_runtime

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
# Imported on first use only: database driver, HTTP clients, AWS SDK, fal, Supabase, JWT.
# (email-validator is not listed: FastAPI itself imports it when it is installed.)
LAZY = [
    "psycopg",
    "psycopg_pool",
    "httpx",
    "boto3",
    "botocore",
    "fal_client",
    "supabase_auth",
    "jwt",
    "argon2",
    "pyspark",
]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_import_loads_no_heavy_client(function: str) -> None:
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('h', 'functions/{function}/handler.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"print(json.dumps(sorted(m for m in {LAZY!r} if m in sys.modules)))\n"
    )
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/postgres?sslmode=verify-full",
        "DATABASE_CA_CERT": make_ca().cert_pem,
        "SUPABASE_URL": "https://ref.supabase.co",
        "SUPABASE_ANON_KEY": "anon",
        "SUPABASE_SERVICE_ROLE_KEY": "service",
        "FAL_KEY": "fal",
        "FAL_ACCOUNT_ID": "fal-account",
        "WEBHOOK_TOKEN_SECRET": "webhook-secret",
        "COPY_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/videogen-copies",
        "EMR_APPLICATION_ID": "app",
        "EMR_EXECUTION_ROLE_ARN": "arn:aws:iam::1:role/emr",
        "EMR_ARTIFACTS_URI": "s3://a/emr",
        "EMR_OUTPUT_URI": "s3://k/parquet",
        "EMR_DATABASE_URL_SSM_PARAMETER": "/videogen/test/database-url",
        "EMR_DATABASE_CA_SSM_PARAMETER": "/videogen/test/database-ca-cert",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
