"""The identity adapter chosen from settings, and the FastAPI dependencies shared by every
protected route: the verified caller."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from videogen.auth.errors import InvalidToken
from videogen.auth.identity import IdentityProvider
from videogen.auth.profiles import get_profile
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


def require_admin(
    user: ActiveUser, db: Annotated[Database, Depends(get_database)]
) -> AuthenticatedUser:
    """The caller, if their profile says admin (roles live in `profiles`, not in the token)
    and their session is not signed out."""
    with db.connection() as conn:
        profile = get_profile(conn, user.id)
    if profile is None or profile["role"] != "admin":
        raise Forbidden("This needs an admin account.", code="admin_only")
    return user


AdminUser = Annotated[AuthenticatedUser, Depends(require_admin)]
