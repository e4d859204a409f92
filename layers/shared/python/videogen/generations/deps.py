"""Builds the generation service from the configured adapters."""

from __future__ import annotations

from videogen.db import get_database
from videogen.generations.provider import get_provider
from videogen.generations.service import GenerationService
from videogen.settings import get_settings
from videogen.storage.base import get_object_store


def get_generation_service() -> GenerationService:
    settings = get_settings()
    return GenerationService(
        db=get_database(),
        provider_factory=get_provider,
        store=get_object_store(),
        public_base_url=settings.public_base_url,
        webhook_secret=settings.webhook_token_secret.get_secret_value(),  # type: ignore[union-attr]
        blocked_terms=settings.blocked_terms,
        signed_url_ttl=settings.signed_url_ttl_seconds,
    )
