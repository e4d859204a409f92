"""Who the caller is in the tenancy model (docs/architecture.md, "Tenancy"): their role and
their school, read from `public.profiles` (roles live there, never in the token).

`admin` is the admin of their own school; `operator` runs the deployment and sees across
schools. A user with no school (an account made without a join code, invite or allowed
email domain) may sign in and read their profile, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from uuid import UUID

if TYPE_CHECKING:
    from videogen.auth.tokens import AuthenticatedUser
    from videogen.db import Connection

Role = Literal["student", "teacher", "admin", "operator"]
ROLES: tuple[Role, ...] = ("student", "teacher", "admin", "operator")
#: Roles that may teach a class (a school admin and an operator may act as a teacher).
TEACHING_ROLES: frozenset[Role] = frozenset({"teacher", "admin", "operator"})
#: Roles that administer a school.
SCHOOL_ADMIN_ROLES: frozenset[Role] = frozenset({"admin", "operator"})


@dataclass(frozen=True)
class Member:
    """The verified caller with their role and school."""

    user: AuthenticatedUser
    role: Role
    school_id: UUID | None

    @property
    def id(self) -> UUID:
        return self.user.id

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def scope(self) -> UUID | None:
        """The school every query of this caller filters on; None: every school (operators).
        The one place the scoping rule is decided (docs/architecture.md, "Tenancy")."""
        return None if self.is_operator else self.school_id

    def sees_school(self, school_id: UUID | None) -> bool:
        """Whether a row of `school_id` is in this caller's reach (operators: every school)."""
        return self.is_operator or (school_id is not None and school_id == self.school_id)


def load_member(conn: Connection, user: AuthenticatedUser) -> Member | None:
    """None when the account has no profile (deleted, or the trigger has not run)."""
    row = conn.execute(
        "select role, school_id from public.profiles where id = %s", (user.id,)
    ).fetchone()
    if row is None:
        return None
    return Member(user=user, role=row["role"], school_id=row["school_id"])
