"""The identity adapter chosen from settings, and the FastAPI dependencies shared by every
protected route: the verified caller."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from videogen.auth.errors import InvalidToken
from videogen.auth.identity import IdentityProvider
from videogen.auth.members import SCHOOL_ADMIN_ROLES, TEACHING_ROLES, Member, load_member
from videogen.auth.sessions import is_revoked, session_of
from videogen.auth.tokens import AuthenticatedUser, JwksCache, TokenVerifier
from videogen.db import Database, get_database
from videogen.errors import Forbidden
from videogen.settings import get_settings, require_settings

_bearer = HTTPBearer(auto_error=False, description="A Supabase access token.")


@lru_cache
def get_identity_provider() -> IdentityProvider:
    """The configured adapter, built once per process (imports only its own client). Supabase
    Auth's keys are checked where used: sign-in needs the anon key, account deletion the
    service-role key, and a function holds only the one it uses."""
    settings = get_settings()
    if settings.identity == "supabase":
        from videogen.auth.supabase_identity import SupabaseIdentity

        return SupabaseIdentity.from_settings(settings)
    from videogen.auth.local_identity import LocalIdentity

    return LocalIdentity.from_settings(settings.require("identity"), get_database())


Identity = Annotated[IdentityProvider, Depends(get_identity_provider)]


@lru_cache
def get_token_verifier() -> TokenVerifier:
    settings = require_settings("token_verifier")
    secret = settings.supabase_jwt_secret
    jwks = (
        JwksCache(
            settings.jwks_url,
            ttl=settings.jwks_cache_seconds,
            timeout=settings.http_timeout_seconds,
            max_stale=settings.jwks_max_stale_seconds,
            failure_cooldown=settings.key_fetch_cooldown_seconds,
        )
        if settings.jwks_enabled
        else None
    )
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        secret=secret.get_secret_value() if secret else None,
        jwks=jwks,
        leeway=settings.jwt_leeway_seconds,
    )


def get_access_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise InvalidToken(
            "Sign in first: send the access token as 'Authorization: Bearer <token>'.",
            code="missing_token",
        )
    return credentials.credentials


AccessToken = Annotated[str, Depends(get_access_token)]


def get_current_user(
    token: AccessToken, verifier: Annotated[TokenVerifier, Depends(get_token_verifier)]
) -> AuthenticatedUser:
    return verifier.verify(token)


CurrentUser = Annotated[AuthenticatedUser, Depends(get_current_user)]


def get_active_user(
    user: CurrentUser, db: Annotated[Database, Depends(get_database)]
) -> AuthenticatedUser:
    """The caller, unless their session was signed out: for routes that spend money or change
    data (a signed-out token keeps its signature until it expires)."""
    if is_revoked(db, session_of(user)):
        raise InvalidToken("This session was signed out; sign in again.", code="session_revoked")
    return user


ActiveUser = Annotated[AuthenticatedUser, Depends(get_active_user)]


def get_member(user: ActiveUser, db: Annotated[Database, Depends(get_database)]) -> Member:
    """The caller with role and school, for routes of the tenancy model. An account that
    belongs to no school (and is not an operator) is refused: it may only sign in."""
    with db.connection() as conn:
        member = load_member(conn, user)
    if member is None:
        raise Forbidden("This account has no profile.", code="no_profile")
    if member.school_id is None and not member.is_operator:
        raise Forbidden(
            "This account belongs to no school yet: join a class with its code.",
            code="no_school",
        )
    return member


SchoolMember = Annotated[Member, Depends(get_member)]


def require_teacher(member: SchoolMember) -> Member:
    if member.role not in TEACHING_ROLES:
        raise Forbidden("This needs a teacher account.", code="teacher_only")
    return member


Teacher = Annotated[Member, Depends(require_teacher)]


def require_school_admin(member: SchoolMember) -> Member:
    if member.role not in SCHOOL_ADMIN_ROLES:
        raise Forbidden("This needs a school admin account.", code="admin_only")
    return member


SchoolAdmin = Annotated[Member, Depends(require_school_admin)]


def require_operator(member: SchoolMember) -> Member:
    if not member.is_operator:
        raise Forbidden("This needs an operator account.", code="operator_only")
    return member


Operator = Annotated[Member, Depends(require_operator)]
