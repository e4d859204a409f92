"""Supabase Auth through `supabase_auth` alone (the umbrella `supabase` package would pull
realtime and websockets into the Lambda's cold start).

A GoTrue client that signs a user in keeps that user's session and token, so each call gets
a fresh client (sessions never shared between requests) over one shared HTTP connection
pool, with token auto-refresh and session persistence off.
"""

from __future__ import annotations

import logging
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
    EmailDeliveryFailed,
    EmailDeliveryNotConfigured,
    EmailNotConfirmed,
    EmailRateLimited,
    EmailSignInDisabled,
    IdentityUnavailable,
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    RateLimited,
    SignupDisabled,
    UserBanned,
    WeakPassword,
)
from videogen.auth.identity import AuthSession, SignUpResult
from videogen.errors import AppError
from videogen.settings import Settings, SettingsMissing

T = TypeVar("T")

logger = logging.getLogger(__name__)

# GoTrue's error codes (https://github.com/supabase/auth/blob/master/internal/api/apierrors/errorcode.go)
# as this API's errors. Statuses and where GoTrue answers them:
_ERRORS_BY_CODE: dict[str, type[AppError]] = {
    "email_address_invalid": InvalidEmail,
    # 400 on a wrong password or unknown email (token.go, ResourceOwnerPasswordGrant)
    "invalid_credentials": InvalidCredentials,
    # 400 on sign-in before the confirmation link was followed (token.go)
    "email_not_confirmed": EmailNotConfirmed,
    # 422 when the project turned sign-ups off (signup.go, `DisableSignup`)
    "signup_disabled": SignupDisabled,
    # 400 on /signup, 422 on /token when the email provider is off (signup.go, token.go)
    "email_provider_disabled": EmailSignInDisabled,
    # 400 on sign-in of a banned user (token.go, `IsBanned`)
    "user_banned": UserBanned,
    # 400 from sendEmail when the recipient is not among the project's authorized addresses:
    # hosted Supabase's built-in mailer sends only to the team's addresses
    # (https://github.com/supabase/auth/blob/master/internal/api/mail.go,
    # checkEmailAddressAuthorization; https://github.com/orgs/supabase/discussions/29370)
    "email_address_not_authorized": EmailDeliveryNotConfigured,
    # 429 when the project's email budget (RATE_LIMIT_EMAIL_SENT, 2 an hour with the
    # built-in mailer) or one user's resend interval (SMTP max frequency) is spent (mail.go)
    "over_email_send_rate_limit": EmailRateLimited,
    # 429 from the per-IP request limiter (middleware.go, limitHandler): every request of
    # ours comes from a few Lambda IPs, so this one is shared by all users (docs/runbook.md)
    "over_request_rate_limit": RateLimited,
    # captcha protection on and the token missing, expired or wrong:
    # https://supabase.com/docs/guides/auth/debugging/error-codes
    "captcha_failed": CaptchaFailed,
    "refresh_token_not_found": InvalidRefreshToken,
    "refresh_token_already_used": InvalidRefreshToken,
    "session_not_found": InvalidRefreshToken,
    "session_expired": InvalidRefreshToken,
}
# Refusals an operator must act on (mailer settings): logged as warnings, without the email.
_OPERATOR_CODES = {"email_address_not_authorized", "over_email_send_rate_limit"}
# A mailer that fails (SMTP host refusing the login, unreachable) is a 500 whose message is
# fixed by sendConfirmation: https://github.com/supabase/auth/blob/master/internal/api/mail.go
_EMAIL_SEND_FAILED = "Error sending confirmation email"
_ALREADY_GONE = "user_not_found"
_ALREADY_SIGNED_OUT = (401, 403, 404)
# GoTrue answers these for a confirmed email only when it autoconfirms sign-ups; with
# confirmation on it answers an obfuscated user instead (`sanitizeUser`):
# https://github.com/supabase/auth/blob/master/internal/api/signup.go
_ALREADY_REGISTERED = ("user_already_exists", "email_exists")
# A repeated sign-up of an unconfirmed email re-sends its confirmation, refused within the
# resend interval with this message (errors.go, generateFrequencyLimitErrorMessage):
# https://github.com/supabase/auth/blob/master/internal/api/errors.go
_RESENT_TOO_SOON = "For security purposes, you can only request this after"


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
            if exc.code == "over_email_send_rate_limit" and exc.message.startswith(
                _RESENT_TOO_SOON
            ):
                # an unconfirmed account whose confirmation went out moments ago: answering
                # 429 would tell anyone the email is registered; a new one gets this answer
                return SignUpResult(confirmation_required=True)
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
        code = exc.code or ""
        error = _ERRORS_BY_CODE.get(code)
        if code in _OPERATOR_CODES:
            logger.warning(
                "Supabase Auth refused to send an email: check its SMTP settings and email "
                "rate limit (docs/runbook.md, Supabase plan limits)",
                extra={"gotrue_code": code, "gotrue_status": exc.status},
            )
        if error is not None:
            return error()
        if exc.status >= 500 and exc.message.startswith(_EMAIL_SEND_FAILED):
            logger.warning(
                "Supabase Auth could not send the confirmation email: check its SMTP settings",
                extra={"gotrue_status": exc.status},
            )
            return EmailDeliveryFailed()
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
