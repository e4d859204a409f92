"""What a school allows of a submission (issue 15): the models it has chosen, and the class a
job is filed under. Checked in the submission's transaction, before its quota unit is taken."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from videogen.errors import Forbidden, InvalidInput

if TYPE_CHECKING:
    from videogen.db import Connection


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"
    message = "Your school does not allow this model; pick another one from /models."


def check_submission(
    conn: Connection, *, school_id: UUID | None, user_id: UUID, model: str, class_id: UUID | None
) -> None:
    """Raises when the school's `allowed_models` (null: every model) leaves `model` out, or
    when `class_id` is not an unarchived class of the school the user is a member of."""
    if school_id is not None:
        row = conn.execute(
            "select allowed_models from public.schools where id = %s", (school_id,)
        ).fetchone()
        allowed = None if row is None else row["allowed_models"]
        if allowed is not None and model not in allowed:
            raise ModelNotAllowed(details={"model": model})
    if class_id is None:
        return
    member = conn.execute(
        """select 1 from public.class_members m join public.classes c on c.id = m.class_id
           where m.class_id = %s and m.user_id = %s and c.archived_at is null
             and c.school_id is not distinct from coalesce(%s, c.school_id)""",
        (class_id, user_id, school_id),
    ).fetchone()
    if member is None:
        raise InvalidClass()


class InvalidClass(InvalidInput):
    def __init__(self) -> None:
        super().__init__([("class_id", "not a class you are in")], code="invalid_class")
