"""Routes: POST /auth/register, /auth/login, /auth/refresh, /auth/logout and GET /me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from videogen.auth.deps import AccessToken, CurrentUser, Identity
from videogen.auth.models import (
    LoginRequest,
    ProfileOut,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    SessionOut,
)
from videogen.auth.service import AuthService, Enrolling, read_profile
from videogen.db import Database, get_database
from videogen.settings import Settings, get_settings, require_settings

router = APIRouter(tags=["auth"])


def get_auth_service(
    identity: Identity, settings: Annotated[Settings, Depends(get_settings)]
) -> AuthService:
    return AuthService(identity=identity, password_min_length=settings.password_min_length)


Service = Annotated[AuthService, Depends(get_auth_service)]


def get_registration_service(
    identity: Identity,
    settings: Annotated[Settings, Depends(get_settings)],
    db: Annotated[Database, Depends(get_database)],
) -> AuthService:
    """Registration also decides the new account's school (videogen.schools.enrolment)."""
    secret = require_settings("school_codes").webhook_token_secret
    assert secret is not None  # require_settings checked it
    enrolling = Enrolling(db, secret.get_secret_value(), settings.open_signup)
    return AuthService(identity, settings.password_min_length, enrolling)


RegistrationService = Annotated[AuthService, Depends(get_registration_service)]


@router.post(
    "/auth/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegisterResponse,
    summary="Create an account: a student of a class (join_code), a teacher (invite_token), "
    "a student of the school that allows the email's domain, or (OPEN_SIGNUP) of the default "
    "school",
    description="Answers the same whether or not the email already has an account; "
    "sign in with /auth/login afterwards. A code that does not work is 400 "
    "`invalid_join_code` (one answer for every reason), an invitation 400 `invalid_invite`; "
    "none of the ways in, with open sign-up off: 403 `invite_only`.",
)
def register(body: RegisterRequest, service: RegistrationService) -> RegisterResponse:
    return service.register(body)


@router.post("/auth/login", response_model=SessionOut, summary="Sign in with email and password")
def login(body: LoginRequest, service: Service) -> SessionOut:
    return service.login(body)


@router.post("/auth/refresh", response_model=SessionOut, summary="Trade a refresh token")
def refresh(body: RefreshRequest, service: Service) -> SessionOut:
    return service.refresh(body)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign out this session",
    description="Revokes the session's refresh tokens; its access token can no longer submit, "
    "retry, cancel or change anything. Other sessions of the account stay signed in.",
)
def logout(
    user: CurrentUser,
    token: AccessToken,
    service: Service,
    db: Annotated[Database, Depends(get_database)],
) -> Response:
    service.logout(db, user, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=ProfileOut, summary="The signed-in user's profile")
def me(user: CurrentUser, db: Annotated[Database, Depends(get_database)]) -> ProfileOut:
    return read_profile(db, user.id)
