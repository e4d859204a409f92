"""What a new account becomes, decided at registration before the identity service is asked.

In order: a class's join code (a student of that class and its school), a school admin's
invite for this very email (a teacher, or an admin, of that school), an email domain a school
allows (a student of that school, no class), open sign-up if the deployment allows it (a
student of the default school); otherwise registration is refused (`invite_only`). The
decision is recorded as a pending enrolment that `public.handle_new_user` applies when the
account is created, whichever identity adapter creates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from videogen.schools import repository as repo
from videogen.schools.codes import code_hash, invite_hash, normalise_code
from videogen.schools.errors import InvalidInvite, InvalidJoinCode, InviteOnly

if TYPE_CHECKING:
    from videogen.db import Connection

#: Long enough for any identity service's sign-up call; the account row is created at once,
#: even when its email still needs confirming.
PENDING_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class Enrolment:
    school_id: UUID
    role: str
    class_id: UUID | None = None
    code_id: UUID | None = None
    invite_id: UUID | None = None


def enrol(
    conn: Connection,
    email: str,
    *,
    join_code: str | None,
    invite_token: str | None,
    secret: str,
    open_signup: bool,
) -> Enrolment:
    """Checks and consumes what the request brings and records the pending enrolment, in
    the caller's transaction (nothing is consumed when it raises)."""
    enrolment = _decide(conn, email, join_code, invite_token, secret, open_signup)
    repo.put_pending(
        conn,
        email=email,
        school_id=enrolment.school_id,
        class_id=enrolment.class_id,
        role=enrolment.role,
        invite_id=enrolment.invite_id,
        expires_at=datetime.now(UTC) + PENDING_TTL,
    )
    return enrolment


def undo(conn: Connection, email: str, enrolment: Enrolment) -> None:
    """The identity service refused the sign-up: the code's use and the invite come back."""
    repo.drop_pending(conn, email)
    _give_back(conn, enrolment)


def settle(conn: Connection, email: str, enrolment: Enrolment) -> None:
    """The identity service answered yes. If it made no account (the email has one: Supabase
    then answers as if it had made one, https://github.com/supabase/auth/blob/master/internal/api/signup.go
    `sanitizeUser`), the pending enrolment is still there: it is dropped and the code's use or
    the invite comes back, so a taken email cannot use up a class's code. The answer to the
    client is the same either way."""
    if repo.drop_pending(conn, email):
        _give_back(conn, enrolment)


def _give_back(conn: Connection, enrolment: Enrolment) -> None:
    if enrolment.code_id is not None:
        repo.release_code(conn, enrolment.code_id)
    if enrolment.invite_id is not None:
        repo.release_invite(conn, enrolment.invite_id)


def _decide(
    conn: Connection,
    email: str,
    join_code: str | None,
    invite_token: str | None,
    secret: str,
    open_signup: bool,
) -> Enrolment:
    if join_code is not None:
        code = normalise_code(join_code)
        row = repo.consume_code(conn, code_hash(code, secret)) if code else None
        if row is None:
            raise InvalidJoinCode()
        return Enrolment(row["school_id"], "student", row["class_id"], code_id=row["code_id"])
    if invite_token is not None:
        invite = repo.consume_invite(conn, invite_hash(invite_token, secret), email)
        if invite is None:
            raise InvalidInvite()
        return Enrolment(invite["school_id"], invite["role"], invite_id=invite["id"])
    school = repo.school_for_domain(conn, email.rsplit("@", 1)[-1])
    if school is not None:
        return Enrolment(school, "student")
    if open_signup:
        return Enrolment(repo.DEFAULT_SCHOOL_ID, "student")
    raise InviteOnly()
