"""Classes, join codes and teacher invites: the rules, each change with its activity row in
the same transaction. Scoping is `videogen.schools.scope`'s."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from videogen.auth.credentials import normalize_email
from videogen.auth.members import Member, load_member
from videogen.auth.tokens import AuthenticatedUser
from videogen.db import Database
from videogen.errors import Forbidden
from videogen.schools import activity
from videogen.schools import repository as repo
from videogen.schools.codes import (
    code_hash,
    display_code,
    invite_hash,
    new_code,
    new_invite_token,
    normalise_code,
)
from videogen.schools.errors import (
    ClassArchived,
    ClassNotFound,
    InvalidJoinCode,
    InviteNotFound,
    InviteUsed,
    MemberNotFound,
    StudentsOnly,
)
from videogen.schools.models import (
    ClassCreate,
    ClassList,
    ClassOut,
    ClassUpdate,
    CodeRotate,
    InviteCreate,
    InviteList,
    InviteOut,
    NewCode,
    NewInvite,
)

logger = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)


def _now() -> datetime:
    return datetime.now(UTC)


def _own_school(member: Member) -> UUID:
    """The school a new class or invite goes to: the caller's (an operator with none has
    nowhere to put it)."""
    if member.school_id is None:
        raise Forbidden("This account belongs to no school.", code="no_school")
    return member.school_id


def _out(row: dict[str, Any], member: Member) -> ClassOut:
    return ClassOut.from_row(row, show_code=member.role != "student", now=_now())


def list_classes(db: Database, member: Member) -> ClassList:
    with db.connection() as conn:
        rows = repo.list_classes(conn, member)
    return ClassList(items=[_out(row, member) for row in rows])


def get_class(db: Database, member: Member, class_id: UUID) -> ClassOut:
    with db.connection() as conn:
        row = repo.get_class(conn, member, class_id)
    if row is None:
        raise ClassNotFound()
    return _out(row, member)


def create_class(db: Database, member: Member, body: ClassCreate) -> ClassOut:
    school_id = _own_school(member)
    with db.connection() as conn:
        class_id = repo.insert_class(conn, school_id, body.name, member.id)
        activity.append(
            conn,
            school_id=school_id,
            actor_id=member.id,
            action="class.create",
            subject_type="class",
            subject_id=class_id,
            details={"name": body.name},
        )
        row = repo.get_class(conn, member, class_id)
    assert row is not None
    logger.info("class created", extra={"class_id": str(class_id)})
    return _out(row, member)


def update_class(db: Database, member: Member, class_id: UUID, body: ClassUpdate) -> ClassOut:
    with db.connection() as conn:
        before = repo.get_class(conn, member, class_id, lock=True)
        if before is None:
            raise ClassNotFound()
        repo.update_class(conn, class_id, name=body.name, archived=body.archived)
        changes: list[tuple[activity.Action, dict[str, Any]]] = []
        if body.name is not None and body.name != before["name"]:
            changes.append(("class.rename", {"from": before["name"], "to": body.name}))
        was_archived = before["archived_at"] is not None
        if body.archived is not None and body.archived != was_archived:
            changes.append(("class.archive" if body.archived else "class.unarchive", {}))
        for action, details in changes:
            activity.append(
                conn,
                school_id=before["school_id"],
                actor_id=member.id,
                action=action,
                subject_type="class",
                subject_id=class_id,
                details=details,
            )
        row = repo.get_class(conn, member, class_id)
    assert row is not None
    return _out(row, member)


def rotate_code(
    db: Database, member: Member, class_id: UUID, body: CodeRotate, secret: str
) -> NewCode:
    """Revokes the current code and makes a new one, shown in this answer only."""
    code = new_code()
    expires_at = _now() + timedelta(hours=body.expires_in_hours)
    with db.connection() as conn:
        current = repo.get_class(conn, member, class_id, lock=True)
        if current is None:
            raise ClassNotFound()
        if current["archived_at"] is not None:
            raise ClassArchived()
        row = repo.rotate_code(
            conn, class_id, code_hash(code, secret), expires_at, body.max_uses, member.id
        )
        activity.append(
            conn,
            school_id=current["school_id"],
            actor_id=member.id,
            action="code.rotate",
            subject_type="class",
            subject_id=class_id,
            details={"expires_at": row["expires_at"].isoformat(), "max_uses": body.max_uses},
        )
    logger.info("join code rotated", extra={"class_id": str(class_id)})  # never the code
    return NewCode(
        class_id=class_id,
        code=display_code(code),
        expires_at=row["expires_at"],
        max_uses=row["max_uses"],
        uses=row["uses"],
    )


def remove_student(db: Database, member: Member, class_id: UUID, user_id: UUID) -> None:
    with db.connection() as conn:
        current = repo.get_class(conn, member, class_id, lock=True)
        if current is None:
            raise ClassNotFound()
        if not repo.remove_student(conn, class_id, user_id):
            raise MemberNotFound()
        activity.append(
            conn,
            school_id=current["school_id"],
            actor_id=member.id,
            action="member.remove",
            subject_type="user",
            subject_id=user_id,
            details={"class_id": str(class_id)},
        )


def join_class(db: Database, user: AuthenticatedUser, code_text: str, secret: str) -> ClassOut:
    """A signed-in student joins a class of their school (or, with no school yet, the code's
    school becomes theirs). Any refusal is the one `invalid_join_code`: a code of another
    school is told apart from no code at all by no one."""
    code = normalise_code(code_text)
    with db.connection() as conn:
        member = load_member(conn, user)
        if member is None:
            raise Forbidden("This account has no profile.", code="no_profile")
        if member.role != "student":
            raise StudentsOnly()
        if code is None:
            raise InvalidJoinCode()
        digest = code_hash(code, secret)
        row = repo.consume_code_for(conn, digest, member.school_id, member.id)
        if row is None:
            class_id = repo.class_of_code_if_member(conn, digest, member.id)
            if class_id is None:
                raise InvalidJoinCode()
        else:
            class_id = row["class_id"]
            repo.add_student(conn, class_id, member.id)
            if member.school_id is None:
                repo.set_school(conn, member.id, row["school_id"])
                member = Member(user=user, role=member.role, school_id=row["school_id"])
            activity.append(
                conn,
                school_id=row["school_id"],
                actor_id=member.id,
                action="member.join",
                subject_type="class",
                subject_id=class_id,
            )
        found = repo.get_class(conn, member, class_id)
    assert found is not None
    return _out(found, member)


# --- teacher invites ------------------------------------------------------------------------


def create_invite(
    db: Database, member: Member, school_id: UUID, body: InviteCreate, secret: str
) -> NewInvite:
    """`school_id`: the caller's own school, or the one an operator names (target_school)."""
    address = normalize_email(body.email)
    token = new_invite_token()
    with db.connection() as conn:
        row = repo.insert_invite(
            conn,
            school_id,
            address,
            invite_hash(token, secret),
            _now() + INVITE_TTL,
            member.id,
            body.role,
        )
        activity.append(
            conn,
            school_id=school_id,
            actor_id=member.id,
            action="invite.create",
            subject_type="invite",
            subject_id=row["id"],
            details={"email": address, "role": body.role},
        )
    out = InviteOut.from_row(row, _now())
    return NewInvite(**out.model_dump(), token=token)


def list_invites(db: Database, school_id: UUID) -> InviteList:
    with db.connection() as conn:
        rows = repo.list_invites(conn, school_id)
    now = _now()
    return InviteList(items=[InviteOut.from_row(row, now) for row in rows])


def revoke_invite(db: Database, member: Member, invite_id: UUID) -> None:
    with db.connection() as conn:
        row = repo.get_invite(conn, member, invite_id, lock=True)
        if row is None:
            raise InviteNotFound()
        if row["used_at"] is not None:
            raise InviteUsed()
        if row["revoked_at"] is not None:
            return
        repo.revoke_invite(conn, invite_id)
        activity.append(
            conn,
            school_id=row["school_id"],
            actor_id=member.id,
            action="invite.revoke",
            subject_type="invite",
            subject_id=invite_id,
        )
