"""One typed settings object, read from the environment (and `.env` locally).

`APP_ENV` picks the defaults for every adapter: `local` runs on the embedded stack
(embedded Postgres, local identity, simulated fal, a local S3 server); `production` runs on
Supabase, fal.ai and S3. Storage is the S3 API in both: only its endpoint differs. Each
adapter can still be chosen on its own (`IDENTITY_BACKEND`, …), which is how the tests run
the production adapters against fakes at the HTTP boundary.
Values are checked when read; what each adapter needs only when a function asks for that
adapter (`require_settings("database", "storage", …)` at its cold start, and each factory for
its own): a function starts with exactly the variables and secrets of the adapters it uses,
and fails at start, naming them, when one is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Literal, get_args

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

AppEnv = Literal["local", "production"]
IdentityBackend = Literal["local", "supabase"]
GenerationBackend = Literal["simulator", "fal"]
KpiRunnerBackend = Literal["local", "emr"]
CopyQueueBackend = Literal["local", "sqs"]
# What a function can be made of; each names the variables it needs (Settings.missing).
Adapter = Literal[
    "database",  # Postgres
    "identity",  # sign-up, sign-in, refresh (Supabase Auth with the anon key)
    "account_deletion",  # Supabase Auth's admin API (the service-role key)
    "token_verifier",  # access tokens: Supabase's JWKS, or the legacy HS256 secret
    "storage",  # the S3 API (Supabase Storage, AWS S3, the local server)
    "fal",  # fal's queue API (FAL_KEY): submit, status, result, cancel
    "webhook_urls",  # signs the job token in each webhook URL
    "fal_webhooks",  # checks a delivery's URL token and fal account
    "copy_queue",  # copy tasks: SQS, or the local queue file
    "kpi_runner",  # the KPI Spark job: EMR Serverless, or a local subprocess
    "school_codes",  # hashes class join codes and teacher invite tokens (a derived key)
]
ADAPTERS: tuple[Adapter, ...] = get_args(Adapter)


class SettingsMissing(ValueError):
    """A function started without what one of its adapters needs: it fails at cold start
    with every missing variable named, never later halfway through a request."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: AppEnv = "local"
    log_level: str = "INFO"
    metrics_namespace: str = Field(
        "VideoGen",
        min_length=1,
        max_length=255,
        description="CloudWatch namespace of the EMF metrics (serverless.yml: VideoGen/<stage>, "
        "so two stages in one account never add into the same metrics).",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where this API is reachable from outside (webhook URLs are built on it).",
    )

    # --- Postgres (Supabase in production, embedded locally) ---
    database_url: SecretStr | None = Field(
        None, description="Production: sslmode=verify-full, with DATABASE_CA_CERT (docs/deploy.md)."
    )
    database_ca_cert: str | None = Field(
        None,
        description="PEM of the CA that signs the database's certificate (Supabase's); "
        "written to the temp folder at cold start and used as libpq's sslrootcert.",
    )
    db_pool_max_size: int = Field(4, ge=1, le=50)
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    db_statement_timeout_ms: int = Field(10_000, ge=100)
    db_idle_in_transaction_timeout_ms: int = Field(
        300_000,
        ge=0,
        description="Ends a transaction left idle this long (0: never). No shorter than the "
        "longest function timeout (reconcile, 300 s): only a frozen or killed invocation "
        "reaches it.",
    )

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
    jwks_max_stale_seconds: int = Field(
        3600,
        ge=0,
        le=86_400,
        description="How long past JWKS_CACHE_SECONDS the last keys still verify tokens "
        "while Supabase's JWKS cannot be fetched.",
    )
    key_fetch_cooldown_seconds: float = Field(
        30,
        ge=0,
        le=600,
        description="After a failed signing-key fetch, callers without keys fail at once "
        "(503) for this long instead of each waiting for another fetch.",
    )
    jwt_leeway_seconds: int = Field(
        5, ge=0, le=60, description="Clock skew allowed on a token's iat and nbf (not exp)."
    )
    access_token_ttl_seconds: int = Field(3600, ge=60, le=86_400)
    local_auth_autoconfirm: bool = True
    refresh_token_reuse_interval_seconds: int = Field(
        10,
        ge=0,
        le=60,
        description="Local identity: a rotated refresh token still returns its child session "
        "this long (GoTrue's GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL); later, reuse ends "
        "the session.",
    )
    refresh_token_ttl_seconds: int = Field(
        30 * 86_400,
        ge=3600,
        le=365 * 86_400,
        description="Local identity: a refresh token unused this long no longer refreshes.",
    )
    password_min_length: int = Field(8, ge=6, le=72)
    open_signup: bool = Field(
        False,
        description="Registration without a class code, invite or school email domain makes "
        "a student of the default school; off: such a registration is refused (invite_only).",
    )
    http_timeout_seconds: float = Field(10.0, gt=0)
    supabase_service_role_key: SecretStr | None = Field(
        None, description="Server-side only: deleting accounts through the Auth admin API."
    )

    # --- Object storage through the S3 API: Supabase Storage, AWS S3, or the local server ---
    storage_bucket: str = "videos"
    storage_endpoint_url: str | None = Field(
        None,
        description="e.g. https://<ref>.storage.supabase.co/storage/v1/s3; unset for AWS; "
        "`make run` sets its own SeaweedFS server's.",
    )
    storage_region: str = "us-east-1"
    storage_access_key_id: SecretStr | None = None
    storage_secret_access_key: SecretStr | None = None
    signed_url_ttl_seconds: int = Field(900, ge=60, le=7 * 86_400)

    # --- Generation (fal.ai queue, or the local simulator) ---
    generation_backend: GenerationBackend | None = None
    fal_key: SecretStr | None = None
    fal_queue_url: str = "https://queue.fal.run/"
    fal_jwks_url: str | None = Field(
        None, description="Default: fal's https://rest.fal.ai/.well-known/jwks.json."
    )
    fal_submit_timeout_seconds: float = Field(
        8.0,
        gt=0,
        le=20,
        description="One submit attempt's budget, well inside API Gateway's 30 s.",
    )
    fal_account_id: str | None = Field(
        None,
        description="Our fal account's user id: fal's signing keys are shared by every fal "
        "customer, so a delivery must also name our account (X-Fal-Webhook-User-Id).",
    )
    webhook_token_secret: SecretStr | None = Field(
        None, description="HMAC key binding each webhook URL to its job."
    )
    fal_media_hosts: str = Field(
        "fal.media,*.fal.media",
        description=(
            "Hosts a webhook's video URL may point at (`host`: any port, `host:port`: that one)."
        ),
    )
    media_allow_http: bool = False
    media_max_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    media_timeout_seconds: float = Field(60.0, gt=0)
    webhook_max_body_bytes: int = Field(1024 * 1024, ge=1024)
    webhook_tolerance_seconds: int = Field(300, ge=1, le=3600)
    simulator_delay_seconds: float = Field(2.0, ge=0)
    prompt_blocklist: str = Field("", description="Comma-separated terms refused in prompts.")
    reconcile_after_seconds: int = Field(900, ge=60)
    reconcile_max_attempts: int = Field(
        12, ge=1, description="Checks of one stuck job before it is failed and refunded."
    )
    submit_unconfirmed_grace_seconds: int = Field(
        3 * 3600,
        ge=60,
        description="How long a job whose submit answer was lost waits for fal's webhook "
        "(fal retries a delivery for 2 hours) before it is failed and refunded.",
    )

    # --- Copy tasks: webhook → queue → copy worker ---
    copy_queue_backend: CopyQueueBackend | None = None
    copy_queue_url: str | None = Field(None, description="SQS queue URL of the copy tasks.")
    copy_queue_region: str | None = None
    copy_queue_path: str = Field(".data/copy-queue.sqlite3", description="Local queue file.")
    copy_max_attempts: int = Field(
        5, ge=1, le=20, description="Tries of one copy task before the dead-letter queue."
    )
    copy_retry_base_seconds: int = Field(15, ge=0, description="First retry delay; doubles.")
    orphan_sweep_after_seconds: int = Field(
        3600,
        ge=60,
        description="Age after which a stored video no `files` row names is removed as an "
        "orphan by the copy worker's sweep (storage/sweep.py).",
    )
    orphan_sweep_max_keys: int = Field(
        100, ge=1, le=1000, description="Objects the sweep looks at per copy worker batch."
    )

    # --- Retention: each school's videos deleted after its `retention_days` (functions/retention)
    retention_enabled: bool = Field(
        True,
        description="False pauses the daily retention run (it logs that it is paused and "
        "deletes nothing); videos past their school's retention wait for it to be resumed.",
    )
    retention_batch_size: int = Field(
        200, ge=1, le=1000, description="Videos one retention batch deletes at most."
    )
    retention_time_budget_seconds: int = Field(
        240,
        ge=0,
        le=840,
        description="A retention run starts no new batch after this long, well below the "
        "function's timeout (300 s); the next run goes on where it stopped.",
    )

    # --- KPIs: the Spark job, on EMR Serverless or in a local subprocess (docs/kpis.md) ---
    kpi_runner_backend: KpiRunnerBackend | None = None
    kpi_time_zone: str = Field("UTC", description="Time zone of a KPI day (IANA name).")
    kpi_max_range_days: int = Field(366, ge=1, le=3660)
    kpi_output_path: str = Field(".data/kpis", description="Local runner: Parquet output.")
    kpi_runs_dir: str = Field(".data/kpi-runs", description="Local runner: run states, logs.")
    kpi_s3_endpoint_url: str | None = Field(
        None, description="S3-compatible endpoint (MinIO, the local server) for the Parquet."
    )
    kpi_s3_access_key_id: SecretStr | None = Field(
        None, description="Local runner: the job's keys for KPI_S3_ENDPOINT_URL."
    )
    kpi_s3_secret_access_key: SecretStr | None = None
    emr_application_id: str | None = None
    emr_execution_role_arn: str | None = None
    emr_artifacts_uri: str | None = Field(
        None, description="s3://…/emr: kpi_job.py, videogen.zip, postgresql.jar, pydeps.tar.gz."
    )
    emr_output_uri: str | None = Field(None, description="s3://… Parquet output of the job.")
    emr_log_uri: str | None = None
    emr_database_url_ssm_parameter: str | None = Field(
        None, description="SSM SecureString the job reads the database URL from."
    )
    emr_database_ca_ssm_parameter: str | None = Field(
        None,
        description="SSM parameter holding the database's CA (PEM) that the job verifies "
        "the server against (sslmode=verify-full).",
    )
    emr_spark_sizing: str = Field(
        "--conf spark.driver.cores=2 --conf spark.driver.memory=4g "
        "--conf spark.executor.cores=4 --conf spark.executor.memory=8g "
        "--conf spark.executor.instances=2 --conf spark.dynamicAllocation.maxExecutors=4",
        description="Spark sizing appended to the job run's sparkSubmitParameters.",
    )

    @property
    def identity(self) -> IdentityBackend:
        if self.identity_backend is not None:
            return self.identity_backend
        return "supabase" if self.app_env == "production" else "local"

    @property
    def generation(self) -> GenerationBackend:
        if self.generation_backend is not None:
            return self.generation_backend
        return "fal" if self.app_env == "production" else "simulator"

    @property
    def fal_webhook_jwks_url(self) -> str:
        return self.fal_jwks_url or "https://rest.fal.ai/.well-known/jwks.json"

    @property
    def media_hosts(self) -> list[str]:
        return [h.strip().lower() for h in self.fal_media_hosts.split(",") if h.strip()]

    @property
    def blocked_terms(self) -> list[str]:
        return [t.strip().lower() for t in self.prompt_blocklist.split(",") if t.strip()]

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

    @property
    def copy_queue(self) -> CopyQueueBackend:
        if self.copy_queue_backend is not None:
            return self.copy_queue_backend
        return "sqs" if self.app_env == "production" else "local"

    @property
    def kpi_runner(self) -> KpiRunnerBackend:
        if self.kpi_runner_backend is not None:
            return self.kpi_runner_backend
        return "emr" if self.app_env == "production" else "local"

    def missing(self, *adapters: Adapter) -> list[str]:
        """Names of the environment variables the given adapters need but lack."""
        names: set[str] = set()
        for adapter in adapters:
            names.update(_NEEDS[adapter](self))
        return sorted(names)

    def require(self, *adapters: Adapter) -> Settings:
        """These settings, if the given adapters have what they need; otherwise the error
        names every missing variable. Each function calls it at cold start for the adapters
        it uses (and each adapter's factory for its own), so a function deployed without a
        secret it needs fails at once, and none needs a secret it does not use."""
        missing = self.missing(*adapters)
        if missing:
            hint = " (`make run` sets them for the local stack)" if self.app_env == "local" else ""
            raise SettingsMissing(
                f"Missing required settings for APP_ENV={self.app_env} "
                f"({', '.join(adapters)}): " + ", ".join(missing) + hint
            )
        if "database" in adapters:
            problems = self.database_tls_problems()
            if problems:
                raise SettingsMissing("; ".join(problems))
        return self

    def _needs_database(self) -> list[str]:
        url = self.database_url
        names = [] if url is not None else ["DATABASE_URL"]
        if (
            self.app_env == "production"
            and self.database_ca_cert is None
            and (url is None or "sslrootcert" not in (_url_query(url.get_secret_value()) or {}))
        ):
            names.append("DATABASE_CA_CERT")  # verified TLS: database_tls_problems
        return names

    def _needs_supabase_url(self) -> list[str]:
        default = type(self).model_fields["supabase_url"].default
        return ["SUPABASE_URL"] if self.supabase_url == default else []

    def _needs_identity(self) -> list[str]:
        if self.identity == "local":
            return self._needs_local_identity()
        anon = [] if self.supabase_anon_key is not None else ["SUPABASE_ANON_KEY"]
        return self._needs_supabase_url() + anon

    def _needs_account_deletion(self) -> list[str]:
        if self.identity == "local":
            return self._needs_local_identity()
        key = self.supabase_service_role_key
        return self._needs_supabase_url() + (
            [] if key is not None else ["SUPABASE_SERVICE_ROLE_KEY"]
        )

    def _needs_local_identity(self) -> list[str]:
        local = self._needs_database()
        return local + ([] if self.supabase_jwt_secret is not None else ["SUPABASE_JWT_SECRET"])

    def _needs_token_verifier(self) -> list[str]:
        url = self._needs_supabase_url() if self.identity == "supabase" else []
        if not self.jwks_enabled and self.supabase_jwt_secret is None:
            return [*url, "SUPABASE_JWT_SECRET"]
        return url

    def _needs_storage(self) -> list[str]:
        if self.storage_endpoint_url is None:
            # never AWS by accident from a laptop
            return ["STORAGE_ENDPOINT_URL"] if self.app_env == "local" else []
        keys = {
            "STORAGE_ACCESS_KEY_ID": self.storage_access_key_id,
            "STORAGE_SECRET_ACCESS_KEY": self.storage_secret_access_key,
        }
        return [name for name, value in keys.items() if value is None]

    def _needs_fal(self) -> list[str]:
        return ["FAL_KEY"] if self.generation == "fal" and self.fal_key is None else []

    def _needs_webhook_urls(self) -> list[str]:
        return ["WEBHOOK_TOKEN_SECRET"] if self.webhook_token_secret is None else []

    def _needs_school_codes(self) -> list[str]:
        return self._needs_webhook_urls()  # the key is derived from WEBHOOK_TOKEN_SECRET

    def _needs_fal_webhooks(self) -> list[str]:
        account = ["FAL_ACCOUNT_ID"] if self.fal_account_id is None else []
        return account + self._needs_webhook_urls()

    def _needs_copy_queue(self) -> list[str]:
        if self.copy_queue == "sqs" and self.copy_queue_url is None:
            return ["COPY_QUEUE_URL"]
        return []

    def _needs_kpi_runner(self) -> list[str]:
        if self.kpi_runner == "local":
            pair = (self.kpi_s3_access_key_id is None) != (self.kpi_s3_secret_access_key is None)
            keys = ["KPI_S3_ACCESS_KEY_ID", "KPI_S3_SECRET_ACCESS_KEY"] if pair else []
            return self._needs_database() + keys
        names = {
            "EMR_APPLICATION_ID": self.emr_application_id,
            "EMR_EXECUTION_ROLE_ARN": self.emr_execution_role_arn,
            "EMR_ARTIFACTS_URI": self.emr_artifacts_uri,
            "EMR_OUTPUT_URI": self.emr_output_uri,
            "EMR_DATABASE_URL_SSM_PARAMETER": self.emr_database_url_ssm_parameter,
            "EMR_DATABASE_CA_SSM_PARAMETER": self.emr_database_ca_ssm_parameter,
        }
        return [name for name, value in names.items() if not value]

    def database_tls_problems(self) -> list[str]:
        """Why the database connection would not be verified TLS. Production only: libpq's
        default `sslmode=prefer` encrypts without checking who answers."""
        problems: list[str] = []
        if self.database_ca_cert is not None and _PEM_CERT not in self.database_ca_cert:
            problems.append(f"DATABASE_CA_CERT must be a PEM certificate ({_PEM_CERT} …)")
        if self.app_env != "production" or self.database_url is None:
            return problems
        query = _url_query(self.database_url.get_secret_value())
        if query is None:
            return [*problems, "DATABASE_URL must be a postgresql:// URL"]
        if query.get("sslmode") != "verify-full":
            problems.append(
                "DATABASE_URL must carry sslmode=verify-full in production (TLS that checks "
                "the server's certificate and host name; docs/deploy.md)"
            )
        if "sslrootcert" in query and self.database_ca_cert is not None:
            problems.append(
                "DATABASE_URL names an sslrootcert and DATABASE_CA_CERT is set: keep one"
            )
        return problems


_PEM_CERT = "-----BEGIN CERTIFICATE-----"


def _url_query(url: str) -> dict[str, str] | None:
    """The query parameters of a postgresql:// URL; None for anything else."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return None
    return dict(parse_qsl(parts.query))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once (cold start) and reused while warm. Values are
    checked here; what each adapter needs is checked by `Settings.require`."""
    return Settings()


def require_settings(*adapters: Adapter) -> Settings:
    """The process-wide settings, checked for these adapters (a function's cold start)."""
    return get_settings().require(*adapters)


_NEEDS: dict[Adapter, Callable[[Settings], list[str]]] = {
    "database": Settings._needs_database,
    "identity": Settings._needs_identity,
    "account_deletion": Settings._needs_account_deletion,
    "token_verifier": Settings._needs_token_verifier,
    "storage": Settings._needs_storage,
    "fal": Settings._needs_fal,
    "webhook_urls": Settings._needs_webhook_urls,
    "fal_webhooks": Settings._needs_fal_webhooks,
    "copy_queue": Settings._needs_copy_queue,
    "kpi_runner": Settings._needs_kpi_runner,
    "school_codes": Settings._needs_school_codes,
}
