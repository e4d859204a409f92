"""Settings: one typed object from the environment; production fails early and clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.production import production_env
from tests.support.tls import make_ca
from videogen.settings import ADAPTERS, Adapter, Settings, SettingsMissing

SUPABASE_POOLER = "postgresql://postgres.ref:pw@aws-0-eu-west-3.pooler.supabase.com:6543/postgres"
CA_PEM = make_ca("Supabase Root 2021 CA (test stand-in)").cert_pem


def production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """A complete production environment, the database URL and CA included."""
    values = {
        "APP_ENV": "production",
        "DATABASE_URL": f"{SUPABASE_POOLER}?sslmode=verify-full",
        "DATABASE_CA_CERT": CA_PEM,
        "SUPABASE_URL": "https://ref.supabase.co",
        "SUPABASE_ANON_KEY": "anon-key-value",
        "SUPABASE_SERVICE_ROLE_KEY": "service-role-value",
        "FAL_KEY": "fal-key-value",
        "COPY_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/1/videogen-copies",
        **{k: v for k, v in production_env().items() if k.startswith("EMR_")},
        **env,
    }
    for key, value in values.items():
        if value:
            monkeypatch.setenv(key, value)
        else:
            monkeypatch.delenv(key, raising=False)


def test_local_defaults_pick_local_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.app_env == "local"
    assert settings.identity == "local"
    assert settings.jwks_enabled is False
    assert settings.jwt_issuer == "http://127.0.0.1:8000/auth/v1"


def test_production_names_every_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("SUPABASE_JWT_SECRET")
    monkeypatch.delenv("FAL_ACCOUNT_ID")
    monkeypatch.delenv("WEBHOOK_TOKEN_SECRET")
    monkeypatch.setenv("APP_ENV", "production")
    settings = Settings()  # reading never fails on what an adapter would need
    with pytest.raises(SettingsMissing) as caught:
        settings.require(*ADAPTERS)
    message = str(caught.value)
    assert "APP_ENV=production" in message
    for name in (
        "DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_ANON_KEY",
        "SUPABASE_SERVICE_ROLE_KEY",
        "FAL_KEY",
        "FAL_ACCOUNT_ID",
        "WEBHOOK_TOKEN_SECRET",
        "COPY_QUEUE_URL",
        "EMR_APPLICATION_ID",
    ):
        assert name in message
    # JWKS verification is on in production, so the legacy secret is optional
    assert "SUPABASE_JWT_SECRET" not in message


@pytest.mark.parametrize(
    ("adapter", "needs"),
    [
        ("database", ["DATABASE_CA_CERT", "DATABASE_URL"]),
        ("identity", ["SUPABASE_ANON_KEY", "SUPABASE_URL"]),
        ("account_deletion", ["SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_URL"]),
        ("token_verifier", ["SUPABASE_URL"]),
        ("storage", ["STORAGE_ACCESS_KEY_ID", "STORAGE_SECRET_ACCESS_KEY"]),
        ("fal", ["FAL_KEY"]),
        ("webhook_urls", ["WEBHOOK_TOKEN_SECRET"]),
        ("fal_webhooks", ["FAL_ACCOUNT_ID", "WEBHOOK_TOKEN_SECRET"]),
        ("school_codes", ["WEBHOOK_TOKEN_SECRET"]),
        ("copy_queue", ["COPY_QUEUE_URL"]),
        (
            "kpi_runner",
            [
                "EMR_APPLICATION_ID",
                "EMR_ARTIFACTS_URI",
                "EMR_DATABASE_CA_SSM_PARAMETER",
                "EMR_DATABASE_URL_SSM_PARAMETER",
                "EMR_EXECUTION_ROLE_ARN",
                "EMR_OUTPUT_URI",
            ],
        ),
    ],
)
def test_each_adapter_needs_only_its_own_variables(
    monkeypatch: pytest.MonkeyPatch, adapter: Adapter, needs: list[str]
) -> None:
    """With nothing set in production, each adapter names exactly its own variables."""
    for name in list(os.environ):
        if name.upper() in {f.upper() for f in Settings.model_fields}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("STORAGE_ENDPOINT_URL", "https://ref.storage.supabase.co/storage/v1/s3")
    assert Settings().missing(adapter) == needs


def test_require_with_nothing_to_require_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("DATABASE_URL")
    assert Settings().require().app_env == "production"


def test_production_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    settings = Settings().require(*ADAPTERS)
    assert settings.identity == "supabase"
    assert settings.generation == "fal"
    assert settings.copy_queue == "sqs"
    assert settings.fal_webhook_jwks_url == "https://rest.fal.ai/.well-known/jwks.json"
    assert settings.jwks_url == "https://ref.supabase.co/auth/v1/.well-known/jwks.json"
    for secret in ("anon-key-value", "service-role-value", "fal-key-value"):
        assert secret not in repr(settings)  # secrets never printed


def test_local_without_secret_says_how_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPABASE_JWT_SECRET")
    with pytest.raises(SettingsMissing, match=r"SUPABASE_JWT_SECRET.*make run"):
        Settings().require("token_verifier")


def test_bad_values_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ValueError, match="app_env"):
        Settings()


def test_s3_endpoint_needs_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_ENDPOINT_URL", "https://ref.storage.supabase.co/storage/v1/s3")
    monkeypatch.delenv("STORAGE_ACCESS_KEY_ID")  # the test server's, from tests/conftest.py
    monkeypatch.delenv("STORAGE_SECRET_ACCESS_KEY")
    with pytest.raises(SettingsMissing, match="STORAGE_ACCESS_KEY_ID, STORAGE_SECRET_ACCESS_KEY"):
        Settings().require("storage")


@pytest.mark.parametrize(
    "query", ["", "?sslmode=require", "?sslmode=prefer", "?sslmode=verify-ca", "?sslmode=disable"]
)
def test_production_refuses_a_database_url_without_verified_tls(
    monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """libpq's default (prefer) and `require` encrypt without checking who answers."""
    production(monkeypatch, DATABASE_URL=SUPABASE_POOLER + query)
    with pytest.raises(SettingsMissing, match=r"DATABASE_URL must carry sslmode=verify-full"):
        Settings().require("database")


def test_production_needs_the_databases_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, DATABASE_CA_CERT="")
    with pytest.raises(SettingsMissing, match=r"Missing required settings.*DATABASE_CA_CERT"):
        Settings().require("database")


def test_production_ca_may_be_a_file_named_in_the_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"{SUPABASE_POOLER}?sslmode=verify-full&sslrootcert={tmp_path}/ca.pem"
    production(monkeypatch, DATABASE_URL=url, DATABASE_CA_CERT="")
    assert Settings().require("database").database_ca_cert is None
    production(monkeypatch, DATABASE_URL=url, DATABASE_CA_CERT=CA_PEM)
    with pytest.raises(SettingsMissing, match=r"sslrootcert and DATABASE_CA_CERT is set: keep"):
        Settings().require("database")


def test_ca_that_is_not_a_pem_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, DATABASE_CA_CERT="/opt/certs/prod-ca-2021.crt")
    with pytest.raises(SettingsMissing, match=r"DATABASE_CA_CERT must be a PEM certificate"):
        Settings().require("database")


def test_local_database_url_needs_no_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:54322/postgres")
    assert Settings().database_tls_problems() == []


def test_key_cache_and_leeway_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.jwt_leeway_seconds == 5
    assert settings.jwks_max_stale_seconds == 3600
    assert settings.key_fetch_cooldown_seconds == 30
    monkeypatch.setenv("JWT_LEEWAY_SECONDS", "600")
    with pytest.raises(ValueError, match="jwt_leeway_seconds"):
        Settings()


def test_registration_is_invite_only_unless_open_signup_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: production refuses registration without a class code or invite by default;
    `make run` turns OPEN_SIGNUP on for a first look (videogen/local/__main__.py)."""
    monkeypatch.delenv("OPEN_SIGNUP", raising=False)
    assert Settings().open_signup is False
    monkeypatch.setenv("OPEN_SIGNUP", "true")
    assert Settings().open_signup is True
