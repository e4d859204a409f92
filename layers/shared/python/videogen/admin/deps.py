"""Builds the admin's job actions from the adapters the admin function is made of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from videogen.copies.deps import get_copy_queue
from videogen.db import get_database
from videogen.generations.deps import get_generation_service, get_provider
from videogen.webhooks.deps import get_delivery_recorder

if TYPE_CHECKING:
    from videogen.admin.jobs import JobActions


def get_job_actions() -> JobActions:
    from videogen.admin.jobs import JobActions

    return JobActions(
        db=get_database(),
        provider_factory=get_provider,
        recorder=get_delivery_recorder(),
        copy_queue=get_copy_queue(),
        generations=get_generation_service(),
    )
