"""Settings: one typed object from the environment; production fails early and clearly."""

from __future__ import annotations

import pytest

from videogen.settings import Settings


def test_local_defaults_pick_local_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.app_env == "local"
    assert settings.identity == "local"
    assert settings.jwks_enabled is False
    assert settings.jwt_issuer == "http://127.0.0.1:8000/auth/v1"


def test_production_names_every_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("SUPABASE_JWT_SECRET")
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ValueError) as caught:
        Settings()
    message = str(caught.value)
    assert "APP_ENV=production" in message
    for name in (
        "DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_ANON_KEY",
        "SUPABASE_SERVICE_ROLE_KEY",
        "FAL_KEY",
    ):
        assert name in message
    # JWKS verification is on in production, so the legacy secret is optional
    assert "SUPABASE_JWT_SECRET" not in message


def test_production_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SUPABASE_URL", "https://ref.supabase.co")
    monkeypatch.setenv("SUPABASE_ANON_KEY", "anon-key-value")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "service-role-value")
    monkeypatch.setenv("FAL_KEY", "fal-key-value")
    settings = Settings()
    assert settings.identity == "supabase"
    assert settings.generation == "fal"
    assert settings.fal_webhook_jwks_url == "https://rest.fal.ai/.well-known/jwks.json"
    assert settings.jwks_url == "https://ref.supabase.co/auth/v1/.well-known/jwks.json"
    for secret in ("anon-key-value", "service-role-value", "fal-key-value"):
        assert secret not in repr(settings)  # secrets never printed


def test_local_without_secret_says_how_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPABASE_JWT_SECRET")
    with pytest.raises(ValueError, match=r"SUPABASE_JWT_SECRET.*make run"):
        Settings()


def test_bad_values_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ValueError, match="app_env"):
        Settings()


def test_s3_endpoint_needs_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_ENDPOINT_URL", "https://ref.storage.supabase.co/storage/v1/s3")
    monkeypatch.delenv("STORAGE_ACCESS_KEY_ID")  # the test server's, from tests/conftest.py
    monkeypatch.delenv("STORAGE_SECRET_ACCESS_KEY")
    with pytest.raises(ValueError, match="STORAGE_ACCESS_KEY_ID, STORAGE_SECRET_ACCESS_KEY"):
        Settings()
