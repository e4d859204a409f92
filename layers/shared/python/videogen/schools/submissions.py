"""What a school allows of a submission (issues 15, 16): the models it has chosen, narrowed by
the caller's role (`school_role_limits.allowed_models`) or, when the job names a class with
an override, by the class's (`classes.allowed_models`); and the class a job is filed under.
Checked in the submission's transaction, before its budgets are reserved."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from videogen.errors import Forbidden, InvalidInput

if TYPE_CHECKING:
    from videogen.db import Connection


_SETTING = {
    "school": "your school",
    "role": "your school's settings for your role",
    "class": "your class",
}


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"

    def __init__(self, model: str, setting: str, allowed: list[str]) -> None:
        super().__init__(
            f"The model {model} is not allowed by {_SETTING[setting]}; pick one of: "
            f"{', '.join(allowed)}.",
            details={"model": model, "setting": setting, "allowed": allowed},
        )


# The three lists that may narrow the models of a submission, read in one statement: the
# school's (an outer bound), the role's in that school, the named class's override.
_ALLOWED = """
    select s.allowed_models as school, r.allowed_models as role, c.allowed_models as class
    from public.profiles p
    join public.schools s on s.id = %(school)s
    left join public.school_role_limits r on r.school_id = s.id and r.role = p.role
    left join public.classes c on c.id = %(class)s and c.school_id = s.id
    where p.id = %(user)s
"""


def allowed_models_rule(
    school: list[str] | None, role: list[str] | None, klass: list[str] | None
) -> list[tuple[str, list[str]]]:
    """The lists a model must be in (null lists allow everything): the school's, then the
    class's override if the job names a class that has one, else the role's."""
    narrowing = ("class", klass) if klass is not None else ("role", role)
    return [
        (name, allowed) for name, allowed in (("school", school), narrowing) if allowed is not None
    ]


def check_submission(
    conn: Connection, *, school_id: UUID | None, user_id: UUID, model: str, class_id: UUID | None
) -> None:
    """Raises when a list of `allowed_models_rule` leaves `model` out (403
    `model_not_allowed` naming the model, the setting and what it allows), or when
    `class_id` is not an unarchived class of the school the user is a member of."""
    if school_id is not None:
        row = conn.execute(
            _ALLOWED, {"school": school_id, "class": class_id, "user": user_id}
        ).fetchone()
        if row is not None:
            for setting, allowed in allowed_models_rule(row["school"], row["role"], row["class"]):
                if model not in allowed:
                    raise ModelNotAllowed(model, setting, allowed)
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
