"""One typed settings object, read from the environment (and `.env` locally).

`APP_ENV` picks the defaults for every adapter: `local` runs on the embedded stack
(embedded Postgres, local identity, local storage, simulated fal); `production` runs on
Supabase, fal.ai and S3. Each adapter can still be chosen on its own (`IDENTITY_BACKEND`, …),
which is how the tests run the production adapters against fakes at the HTTP boundary.
A production adapter whose variables are missing fails at start, naming them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AppEnv = Literal["local", "production"]
IdentityBackend = Literal["local", "supabase"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: AppEnv = "local"
    log_level: str = "INFO"
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where this API is reachable from outside (webhook URLs are built on it).",
    )

    # --- Postgres (Supabase in production, embedded locally) ---
    database_url: SecretStr | None = None
    db_pool_max_size: int = Field(4, ge=1, le=50)
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    db_statement_timeout_ms: int = Field(10_000, ge=100)

    # --- Identity (Supabase Auth, or the local identity store) ---
    identity_backend: IdentityBackend | None = None
    supabase_url: str = "http://127.0.0.1:8000"
    supabase_anon_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = Field(
        None, description="HS256 secret: Supabase's legacy JWT secret, or the local one."
    )
    jwt_audience: str = "authenticated"
    jwt_jwks_enabled: bool | None = Field(
        None, description="Verify ES256/RS256 tokens against Supabase's JWKS (default: Supabase)."
    )
    jwks_cache_seconds: int = Field(600, ge=0, le=3600)
    access_token_ttl_seconds: int = Field(3600, ge=60, le=86_400)
    local_auth_autoconfirm: bool = True
    password_min_length: int = Field(8, ge=6, le=72)
    http_timeout_seconds: float = Field(10.0, gt=0)

    @property
    def identity(self) -> IdentityBackend:
        if self.identity_backend is not None:
            return self.identity_backend
        return "supabase" if self.app_env == "production" else "local"

    @property
    def jwt_issuer(self) -> str:
        return f"{self.supabase_url.rstrip('/')}/auth/v1"

    @property
    def jwks_url(self) -> str:
        return f"{self.jwt_issuer}/.well-known/jwks.json"

    @property
    def jwks_enabled(self) -> bool:
        if self.jwt_jwks_enabled is not None:
            return self.jwt_jwks_enabled
        return self.identity == "supabase"

    def required_missing(self) -> list[str]:
        """Names of the environment variables the chosen adapters need but lack."""
        missing: list[str] = []
        if self.database_url is None:
            missing.append("DATABASE_URL")
        if self.identity == "supabase":
            if self.supabase_url == type(self).model_fields["supabase_url"].default:
                missing.append("SUPABASE_URL")
            if self.supabase_anon_key is None:
                missing.append("SUPABASE_ANON_KEY")
        if self.identity == "local" and self.supabase_jwt_secret is None:
            missing.append("SUPABASE_JWT_SECRET")
        if not self.jwks_enabled and self.supabase_jwt_secret is None:
            missing.append("SUPABASE_JWT_SECRET")
        return sorted(set(missing))

    @model_validator(mode="after")
    def _check_required(self) -> Settings:
        missing = self.required_missing()
        if missing:
            hint = " (`make run` sets them for the local stack)" if self.app_env == "local" else ""
            raise ValueError(
                f"Missing required settings for APP_ENV={self.app_env}: "
                + ", ".join(missing)
                + hint
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once (cold start) and reused while warm."""
    return Settings()
