"""Screens a prompt before anything is spent: the filter's refusal becomes a safety event
(in its own transaction, so it stays recorded though the request fails) and a 422
`prompt_refused` that does not say which term matched."""

from __future__ import annotations

import logging
from uuid import UUID

from videogen.db import Database
from videogen.errors import AppError
from videogen.safety import events
from videogen.safety.filter import PromptFilter

logger = logging.getLogger(__name__)


class PromptRefused(AppError):
    status_code = 422
    code = "prompt_refused"
    message = (
        "This prompt cannot be used at school; please write it another way. "
        "Refused prompts are shown to your teachers."
    )


def screen(
    db: Database,
    prompt_filter: PromptFilter,
    *,
    user_id: UUID,
    prompt: str,
    model: str,
    class_id: UUID | None = None,
) -> None:
    """Raises `PromptRefused` (after recording the event) if the prompt is refused."""
    with db.connection() as conn:
        context = events.prompt_context(conn, user_id)
    school_terms = list(context["school_terms"]) if context else []
    refusal = prompt_filter.check(prompt, school_terms=school_terms)
    if refusal is None:
        return
    school_id = context["school_id"] if context else None
    if school_id is not None:  # an account of no school is refused before it gets here
        with db.connection() as conn:
            events.record(
                conn,
                school_id=school_id,
                class_id=class_id,
                user_id=user_id,
                rule=refusal.rule,
                prompt=prompt,
                model=model,
            )
    logger.info("prompt refused", extra={"rule": refusal.rule, "model": model})
    raise PromptRefused()
