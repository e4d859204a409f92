"""Errors of the schools routes and of enrolment at registration.

A wrong, expired, revoked or used-up join code gets one answer, whichever it is, so the
route cannot be asked whether a class exists; the same for invite tokens.
"""

from __future__ import annotations

from videogen.errors import AppError, NotFound


class InvalidJoinCode(AppError):
    status_code = 400
    code = "invalid_join_code"
    message = (
        "This class code does not work: check it with your teacher (codes expire and can be "
        "used a limited number of times)."
    )


class InvalidInvite(AppError):
    status_code = 400
    code = "invalid_invite"
    message = (
        "This invitation does not work: it may have expired, been used or revoked, or be for "
        "another email address. Ask your school admin for a new one."
    )


class InviteOnly(AppError):
    status_code = 403
    code = "invite_only"
    message = "Registration needs a class code: ask your teacher for a class code."


class ClassNotFound(NotFound):
    code = "class_not_found"
    message = "No such class."


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "No such student in this class."


class InviteNotFound(NotFound):
    code = "invite_not_found"
    message = "No such invitation."


class ClassArchived(AppError):
    status_code = 409
    code = "class_archived"
    message = "This class is archived: unarchive it first."


class InviteUsed(AppError):
    status_code = 409
    code = "invite_used"
    message = "This invitation has been used already; it can no longer be revoked."


class StudentsOnly(AppError):
    status_code = 403
    code = "student_only"
    message = "Only students join classes with a code; teachers create classes."
