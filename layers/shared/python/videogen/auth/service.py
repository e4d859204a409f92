"""Auth use cases: the rules that hold whichever identity adapter is configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from videogen.auth.credentials import check_password, normalize_email
from videogen.auth.errors import InvalidCredentials, InvalidEmail, ProfileNotFound
from videogen.auth.identity import AuthSession, IdentityProvider
from videogen.auth.models import (
    LoginRequest,
    ProfileOut,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    SessionOut,
    UserOut,
)
from videogen.auth.profiles import get_profile
from videogen.auth.sessions import record_revoked, session_of
from videogen.auth.tokens import AuthenticatedUser
from videogen.db import Database
from videogen.schools.enrolment import enrol, settle, undo

logger = logging.getLogger(__name__)

CHECK_EMAIL = "If this email is new, we sent a link to confirm it; then sign in."
SIGN_IN = "If this email is new, its account is ready: sign in with your password."


def session_out(session: AuthSession) -> SessionOut:
    return SessionOut(
        access_token=session.access_token,
        expires_in=session.expires_in,
        expires_at=session.expires_at,
        refresh_token=session.refresh_token,
        user=UserOut(id=session.user_id, email=session.email),
    )


@dataclass(frozen=True)
class Enrolling:
    """What registration needs to decide a new account's school, role and class."""

    db: Database
    code_secret: str
    open_signup: bool


@dataclass
class AuthService:
    identity: IdentityProvider
    password_min_length: int
    enrolling: Enrolling | None = None

    def register(self, request: RegisterRequest) -> RegisterResponse:
        """The enrolment is checked (and a code's use taken) before the identity service is
        asked; if it then refuses, or makes no account because the email has one, the use
        is given back. An email that has an account already gets the same answer."""
        email = normalize_email(request.email)
        check_password(request.password, self.password_min_length)
        if self.enrolling is None:
            raise RuntimeError("registration needs the enrolment settings")
        enrolling = self.enrolling
        with enrolling.db.connection() as conn:
            enrolment = enrol(
                conn,
                email,
                join_code=request.join_code,
                invite_token=request.invite_token,
                secret=enrolling.code_secret,
                open_signup=enrolling.open_signup,
            )
        try:
            result = self.identity.sign_up(
                email, request.password, request.display_name, request.captcha_token
            )
        except Exception:
            with enrolling.db.connection() as conn:
                undo(conn, email, enrolment)
            raise
        with enrolling.db.connection() as conn:
            settle(conn, email, enrolment)
        logger.info(
            "sign-up accepted",
            extra={
                "confirmation_required": result.confirmation_required,
                "enrolment_role": enrolment.role,
                "school_id": str(enrolment.school_id),
                "class_id": str(enrolment.class_id) if enrolment.class_id else None,
            },
        )
        return RegisterResponse(
            confirmation_required=result.confirmation_required,
            message=CHECK_EMAIL if result.confirmation_required else SIGN_IN,
        )

    def login(self, request: LoginRequest) -> SessionOut:
        try:
            email = normalize_email(request.email)
        except InvalidEmail as exc:
            raise InvalidCredentials() from exc  # do not teach which emails are well-formed
        session = self.identity.sign_in(email, request.password, request.captcha_token)
        logger.info("user signed in", extra={"user_id": str(session.user_id)})
        return session_out(session)

    def refresh(self, request: RefreshRequest) -> SessionOut:
        return session_out(self.identity.refresh(request.refresh_token))

    def logout(self, db: Database, user: AuthenticatedUser, access_token: str) -> None:
        """Recorded first, so that a failure at the identity service (the client retries)
        never leaves a signed-out token able to spend."""
        session_id = session_of(user)
        record_revoked(db, session_id, user.id, int(user.claims["exp"]))
        self.identity.sign_out(access_token, session_id)
        logger.info("user signed out", extra={"user_id": str(user.id)})


def read_profile(db: Database, user_id: UUID) -> ProfileOut:
    with db.connection() as conn:
        row = get_profile(conn, user_id)
    if row is None:
        raise ProfileNotFound()
    return ProfileOut.model_validate(row)
