"""Routes of classes, join codes and teacher invites (served by the admin function).

Scoping (docs/architecture.md, "Tenancy"): a class of another school, or one a teacher does
not teach, is 404 `class_not_found`, never 403.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from videogen.auth.deps import ActiveUser, SchoolAdmin, SchoolMember, Teacher
from videogen.db import Database, get_database
from videogen.schools import service
from videogen.schools.deps import SchoolParam
from videogen.schools.models import (
    ClassCreate,
    ClassJoin,
    ClassList,
    ClassOut,
    ClassUpdate,
    CodeRotate,
    InviteCreate,
    InviteList,
    NewCode,
    NewInvite,
)
from videogen.schools.school_service import target_school
from videogen.settings import require_settings

router = APIRouter(tags=["schools"])
Db = Annotated[Database, Depends(get_database)]


def get_code_secret() -> str:
    """The server secret join codes and invite tokens are hashed under (derived keys)."""
    secret = require_settings("school_codes").webhook_token_secret
    assert secret is not None  # require_settings checked it
    return secret.get_secret_value()


Secret = Annotated[str, Depends(get_code_secret)]


@router.post(
    "/classes",
    status_code=status.HTTP_201_CREATED,
    response_model=ClassOut,
    summary="Create a class (teachers); its creator teaches it",
)
def create_class(body: ClassCreate, member: Teacher, db: Db) -> ClassOut:
    return service.create_class(db, member, body)


@router.get(
    "/classes",
    response_model=ClassList,
    summary="Classes: those a teacher teaches, a student is in, or all of an admin's school",
)
def list_classes(member: SchoolMember, db: Db) -> ClassList:
    return service.list_classes(db, member)


@router.post(
    "/classes/join",
    response_model=ClassOut,
    summary="A signed-in student joins a class of their school with its code",
    description="Any code that does not work here (wrong, expired, revoked, used up, "
    "archived class, another school's) is the same 400 `invalid_join_code`.",
)
def join_class(body: ClassJoin, user: ActiveUser, db: Db, secret: Secret) -> ClassOut:
    return service.join_class(db, user, body.code, secret)


@router.get("/classes/{class_id}", response_model=ClassOut, summary="One class")
def get_class(class_id: UUID, member: SchoolMember, db: Db) -> ClassOut:
    return service.get_class(db, member, class_id)


@router.patch(
    "/classes/{class_id}", response_model=ClassOut, summary="Rename, archive or unarchive"
)
def update_class(class_id: UUID, body: ClassUpdate, member: Teacher, db: Db) -> ClassOut:
    return service.update_class(db, member, class_id, body)


@router.post(
    "/classes/{class_id}/join-code",
    status_code=status.HTTP_201_CREATED,
    response_model=NewCode,
    summary="Make a new join code (the current one stops working); shown once",
)
def rotate_code(
    class_id: UUID, member: Teacher, db: Db, secret: Secret, body: CodeRotate | None = None
) -> NewCode:
    return service.rotate_code(db, member, class_id, body or CodeRotate(), secret)


@router.delete(
    "/classes/{class_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a student from a class",
)
def remove_member(class_id: UUID, user_id: UUID, member: Teacher, db: Db) -> Response:
    service.remove_student(db, member, class_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/school/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=NewInvite,
    summary="Invite a teacher or admin (school admins; operators name the school): single use,"
    " 7 days; the token is shown once",
)
def create_invite(
    body: InviteCreate, member: SchoolAdmin, db: Db, secret: Secret, school_id: SchoolParam = None
) -> NewInvite:
    return service.create_invite(db, member, target_school(member, school_id), body, secret)


@router.get("/school/invites", response_model=InviteList, summary="The school's teacher invites")
def list_invites(member: SchoolAdmin, db: Db, school_id: SchoolParam = None) -> InviteList:
    return service.list_invites(db, target_school(member, school_id))


@router.delete(
    "/school/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke an unused invite",
)
def revoke_invite(invite_id: UUID, member: SchoolAdmin, db: Db) -> Response:
    service.revoke_invite(db, member, invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
