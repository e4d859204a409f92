"""Set a user's role from the command line: how the first admin is made.

python -m videogen.auth.roles ada@school.example admin    # DATABASE_URL from the env
"""

from __future__ import annotations

import argparse
import os
import sys

import psycopg

ROLES = ("student", "teacher", "admin")


def set_role(database_url: str, email: str, role: str) -> bool:
    """True if a profile with that email exists and now has `role`."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    with psycopg.connect(database_url) as conn:
        updated = conn.execute(
            "update public.profiles set role = %s, updated_at = now()"
            " where lower(email) = lower(%s)",
            (role, email),
        ).rowcount
    return updated == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("email")
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    if not set_role(args.database_url, args.email, args.role):
        sys.exit(f"No profile with email {args.email}")
    print(f"{args.email} is now {args.role}")


if __name__ == "__main__":
    main()
