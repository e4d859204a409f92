"""Set a user's role (and school) from the command line: how the first admin and the first
operator are made.

python -m videogen.auth.roles ada@school.example admin              # DATABASE_URL from the env
python -m videogen.auth.roles ops@example.org operator
python -m videogen.auth.roles ada@school.example admin --school <uuid>

Without --school the user is placed in the default school (where the users from before
schools went), except an operator, who keeps the school they have (none for a new one):
operators see every school without belonging to one.
"""

from __future__ import annotations

import argparse
import os
import sys
from uuid import UUID

import psycopg

from videogen.auth.members import ROLES

DEFAULT_SCHOOL = UUID("00000000-0000-0000-0000-000000000001")


class UnknownSchool(ValueError):
    pass


def set_role(database_url: str, email: str, role: str, school: UUID | None = None) -> bool:
    """True if a profile with that email exists and now has `role` (and the school)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if school is None and role != "operator":
        school = DEFAULT_SCHOOL
    with psycopg.connect(database_url) as conn:
        if (
            school is not None
            and not conn.execute("select 1 from public.schools where id = %s", (school,)).fetchone()
        ):
            raise UnknownSchool(f"No school with id {school}")
        updated = conn.execute(
            "update public.profiles set role = %s, school_id = coalesce(%s, school_id),"
            " updated_at = now() where lower(email) = lower(%s)",
            (role, school, email),
        ).rowcount
    return updated == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("email")
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--school", type=UUID, default=None, help="the school's id (a uuid)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    try:
        found = set_role(args.database_url, args.email, args.role, args.school)
    except UnknownSchool as exc:
        sys.exit(str(exc))
    if not found:
        sys.exit(f"No profile with email {args.email}")
    print(f"{args.email} is now {args.role}")


if __name__ == "__main__":
    main()
