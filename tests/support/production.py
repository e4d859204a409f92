"""A complete production environment of placeholder values: what each function's settings
need at cold start in Lambda, so a test or benchmark imports handlers as Lambda does."""

from __future__ import annotations

from tests.support.tls import make_ca


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "APP_ENV": "production",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/postgres?sslmode=verify-full",
        "DATABASE_CA_CERT": make_ca().cert_pem,
        "SUPABASE_URL": "https://ref.supabase.co",
        "SUPABASE_ANON_KEY": "anon",
        "SUPABASE_SERVICE_ROLE_KEY": "service",
        "FAL_KEY": "fal",
        "FAL_ACCOUNT_ID": "fal-account",
        "WEBHOOK_TOKEN_SECRET": "webhook-secret",
        "COPY_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/1/videogen-copies",
        "EMR_APPLICATION_ID": "app",
        "EMR_EXECUTION_ROLE_ARN": "arn:aws:iam::1:role/emr",
        "EMR_ARTIFACTS_URI": "s3://a/emr",
        "EMR_OUTPUT_URI": "s3://k/parquet",
        "EMR_DATABASE_URL_SSM_PARAMETER": "/videogen/test/database-url",
        "EMR_DATABASE_CA_SSM_PARAMETER": "/videogen/test/database-ca-cert",
    }
    env.update(overrides)
    return env
