"""Picks the generation provider and builds the generation service from settings.

`GENERATION_BACKEND=fal` is fal's queue. The local stack's fal simulator is not part of the
deployed package: the local stack plugs it in with `use_local_provider` (videogen.local),
so no production module imports local code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from videogen.db import get_database
from videogen.generations.provider import GenerationProvider
from videogen.safety.filter import default_filter
from videogen.settings import get_settings, require_settings
from videogen.storage.deps import get_object_store

if TYPE_CHECKING:
    from videogen.generations.service import GenerationService

_local_provider: list[Callable[[], GenerationProvider]] = []


def use_local_provider(factory: Callable[[], GenerationProvider]) -> None:
    """Plugs in the provider used when GENERATION_BACKEND is `simulator` (local stack)."""
    _local_provider[:] = [factory]
    get_provider.cache_clear()


@lru_cache
def get_provider() -> GenerationProvider:
    settings = require_settings("fal")
    if settings.generation == "fal":
        from videogen.generations.fal_provider import FalProvider

        return FalProvider.from_settings(settings)
    if not _local_provider:
        raise RuntimeError(
            "GENERATION_BACKEND=simulator needs the local stack (python -m videogen.local), "
            "which plugs the fal simulator in; set GENERATION_BACKEND=fal elsewhere."
        )
    return _local_provider[0]()


def get_generation_service() -> GenerationService:
    from videogen.generations.service import GenerationService

    settings = get_settings()
    secret = settings.webhook_token_secret
    return GenerationService(
        db=get_database(),
        provider_factory=get_provider,
        store=get_object_store(),
        public_base_url=settings.public_base_url,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
        prompt_filter=default_filter(tuple(settings.blocked_terms)),
        signed_url_ttl=settings.signed_url_ttl_seconds,
    )
