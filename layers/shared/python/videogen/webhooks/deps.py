"""Builds the webhook verifier and the job finisher from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from videogen.db import get_database
from videogen.settings import get_settings
from videogen.storage.base import get_object_store
from videogen.webhooks.finisher import JobFinisher, MediaPolicy
from videogen.webhooks.signature import FalWebhookVerifier


@lru_cache
def get_webhook_verifier() -> FalWebhookVerifier:
    settings = get_settings()
    return FalWebhookVerifier(
        settings.fal_webhook_jwks_url,
        tolerance_seconds=settings.webhook_tolerance_seconds,
        failure_cooldown_seconds=settings.key_fetch_cooldown_seconds,
        timeout=settings.http_timeout_seconds,
    )


def get_job_finisher() -> JobFinisher:
    settings = get_settings()
    return JobFinisher(
        db=get_database(),
        store=get_object_store(),
        media_policy=MediaPolicy(
            allowed_hosts=settings.media_hosts,
            allow_http=settings.media_allow_http or settings.generation == "simulator",
            max_bytes=settings.media_max_bytes,
            timeout=settings.media_timeout_seconds,
        ),
    )
