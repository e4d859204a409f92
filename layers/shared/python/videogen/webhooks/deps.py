"""Builds the webhook verifier and the delivery recorder from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from videogen.db import get_database
from videogen.settings import require_settings
from videogen.webhooks.recorder import DeliveryRecorder
from videogen.webhooks.signature import FalWebhookVerifier


@lru_cache
def get_webhook_verifier() -> FalWebhookVerifier:
    settings = require_settings("fal_webhooks")
    return FalWebhookVerifier(
        settings.fal_webhook_jwks_url,
        tolerance_seconds=settings.webhook_tolerance_seconds,
        failure_cooldown_seconds=settings.key_fetch_cooldown_seconds,
        timeout=settings.http_timeout_seconds,
    )


def get_delivery_recorder() -> DeliveryRecorder:
    return DeliveryRecorder(db=get_database())
