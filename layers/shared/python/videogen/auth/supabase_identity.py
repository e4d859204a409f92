"""Supabase Auth through `supabase_auth` alone (the umbrella `supabase` package would pull
realtime and websockets into the Lambda's cold start).

A GoTrue client that signs a user in keeps that user's session and token, so each call gets
a fresh client (sessions never shared between requests) over one shared HTTP connection
pool, with token auto-refresh and session persistence off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import httpx
from pydantic import SecretStr
from supabase_auth import SyncGoTrueAdminAPI, SyncGoTrueClient
from supabase_auth.errors import (
    AuthApiError,
    AuthError,
    AuthWeakPasswordError,
)
from supabase_auth.types import (
    AuthResponse,
    Session,
    SignInWithEmailAndPasswordCredentials,
    SignUpWithEmailAndPasswordCredentialsOptions,
)

from videogen.auth.errors import (
    CaptchaFailed,
    EmailNotConfirmed,
    IdentityUnavailable,
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    RateLimited,
    SignupDisabled,
    WeakPassword,
)
from videogen.auth.identity import AuthSession, SignUpResult
from videogen.errors import AppError
from videogen.settings import Settings, SettingsMissing

T = TypeVar("T")

_ERRORS_BY_CODE: dict[str, type[AppError]] = {
    "email_address_invalid": InvalidEmail,
    "invalid_credentials": InvalidCredentials,
    "email_not_confirmed": EmailNotConfirmed,
    "signup_disabled": SignupDisabled,
    "email_provider_disabled": SignupDisabled,
    "over_email_send_rate_limit": RateLimited,
    "over_request_rate_limit": RateLimited,
    # captcha protection on and the token missing, expired or wrong:
    # https://supabase.com/docs/guides/auth/debugging/error-codes
    "captcha_failed": CaptchaFailed,
    "refresh_token_not_found": InvalidRefreshToken,
    "refresh_token_already_used": InvalidRefreshToken,
    "session_not_found": InvalidRefreshToken,
    "session_expired": InvalidRefreshToken,
}
_ALREADY_GONE = "user_not_found"
_ALREADY_SIGNED_OUT = (401, 403, 404)
# GoTrue answers these for a confirmed email only when it autoconfirms sign-ups; with
# confirmation on it answers an obfuscated user instead (`sanitizeUser`):
# https://github.com/supabase/auth/blob/master/internal/api/signup.go
_ALREADY_REGISTERED = ("user_already_exists", "email_exists")


class SupabaseIdentity:
    """Each key is optional: the auth function signs users in with the anon key only, the
    generations function deletes accounts with the service-role key only (each function
    holds just its own secrets; its cold start requires them: `Settings.require`)."""

    def __init__(
        self,
        url: str,
        anon_key: str | None,
        service_role_key: str | None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._auth_url = f"{url.rstrip('/')}/auth/v1"
        self._anon_key = anon_key
        self._service_role_key = service_role_key
        self._http = httpx.Client(timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> SupabaseIdentity:
        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            settings.supabase_url,
            secret(settings.supabase_anon_key),
            secret(settings.supabase_service_role_key),
            timeout=settings.http_timeout_seconds,
        )

    def _client(self) -> SyncGoTrueClient:
        key = _key(self._anon_key, "SUPABASE_ANON_KEY")
        return SyncGoTrueClient(
            url=self._auth_url,
            headers={"apikey": key, "Authorization": f"Bearer {key}"},
            auto_refresh_token=False,
            persist_session=False,
            http_client=self._http,
        )

    def sign_up(
        self, email: str, password: str, display_name: str, captcha_token: str | None = None
    ) -> SignUpResult:
        """A taken email answers like a new one: GoTrue's `user_already_exists` (it sends
        that only when it autoconfirms) becomes "no confirmation needed, sign in"."""
        options: SignUpWithEmailAndPasswordCredentialsOptions = {
            "data": {"display_name": display_name}
        }
        if captcha_token is not None:
            options["captcha_token"] = captcha_token  # sent as gotrue_meta_security
        try:
            response = self._client().sign_up(
                {"email": email, "password": password, "options": options}
            )
        except AuthApiError as exc:
            if exc.code in _ALREADY_REGISTERED:
                return SignUpResult(confirmation_required=False)
            raise _translate(exc) from exc
        except (AuthError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc
        if response.user is None:
            raise IdentityUnavailable("Supabase Auth answered the sign-up without a user.")
        # with autoconfirm GoTrue signs the new user in; the client signs in with /auth/login
        return SignUpResult(confirmation_required=response.session is None)

    def sign_in(self, email: str, password: str, captcha_token: str | None = None) -> AuthSession:
        credentials: SignInWithEmailAndPasswordCredentials = {"email": email, "password": password}
        if captcha_token is not None:
            credentials["options"] = {"captcha_token": captcha_token}
        response = _call(lambda: self._client().sign_in_with_password(credentials))
        return _require_session(response)

    def refresh(self, refresh_token: str) -> AuthSession:
        response = _call(lambda: self._client().refresh_session(refresh_token))
        return _require_session(response)

    def sign_out(self, access_token: str, session_id: UUID) -> None:
        """GoTrue's `POST /logout?scope=local` with the user's own access token:
        https://github.com/supabase/auth/blob/master/internal/api/logout.go. A 401, 403
        (`session_not_found`) or 404 means the session is already gone, as supabase_auth's
        own `sign_out` counts them."""
        key = _key(self._anon_key, "SUPABASE_ANON_KEY")
        api = SyncGoTrueAdminAPI(
            url=self._auth_url,
            headers={"apikey": key, "Authorization": f"Bearer {key}"},
            http_client=self._http,
        )
        try:
            api.sign_out(access_token, "local")
        except AuthApiError as exc:
            if exc.status not in _ALREADY_SIGNED_OUT:
                raise _translate(exc) from exc
        except (AuthError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc

    def delete_user(self, user_id: UUID) -> None:
        """Auth admin API with the service-role key (server-side only, never sent to clients)."""
        key = _key(self._service_role_key, "SUPABASE_SERVICE_ROLE_KEY")
        admin = SyncGoTrueAdminAPI(
            url=self._auth_url,
            headers={"apikey": key, "Authorization": f"Bearer {key}"},
            http_client=self._http,
        )
        try:
            admin.delete_user(str(user_id))
        except AuthApiError as exc:
            if exc.code != _ALREADY_GONE:
                raise _translate(exc) from exc
        except (AuthError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc


def _key(value: str | None, name: str) -> str:
    if value is None:  # a function calling what its cold-start check did not require
        raise SettingsMissing(f"{name} is not set for this function.")
    return value


def _call(action: Callable[[], T]) -> T:
    try:
        return action()
    except (AuthError, httpx.HTTPError) as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> AppError:
    """Supabase Auth's error codes as this API's errors."""
    if isinstance(exc, AuthWeakPasswordError):
        return WeakPassword(list(exc.reasons), f"The password is too weak: {exc.message}")
    if isinstance(exc, AuthApiError):
        error = _ERRORS_BY_CODE.get(exc.code or "")
        if error is not None:
            return error()
        if exc.status >= 500:
            return IdentityUnavailable()
        return AppError(
            f"Supabase Auth refused the request: {exc.message}",
            code="identity_error",
            status_code=400,
        )
    return IdentityUnavailable()


def _require_session(response: AuthResponse) -> AuthSession:
    if response.session is None:
        raise IdentityUnavailable("Supabase Auth answered without a session.")
    return _session(response.session)


def _session(session: Session) -> AuthSession:
    assert session.expires_at is not None  # set by the Session model from expires_in
    return AuthSession(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        expires_at=session.expires_at,
        user_id=UUID(session.user.id),
        email=session.user.email or "",
    )
