"""Auth errors: one class per thing a client can get wrong, each with its own code."""

from __future__ import annotations

from videogen.errors import AppError, ServiceUnavailable


class InvalidEmail(AppError):
    status_code = 422
    code = "invalid_email"
    message = "The email address is not valid."


class WeakPassword(AppError):
    status_code = 422
    code = "weak_password"
    message = "The password is too weak."

    def __init__(self, reasons: list[str], message: str | None = None) -> None:
        super().__init__(message, details={"reasons": reasons})


class InvalidCredentials(AppError):
    status_code = 401
    code = "invalid_credentials"
    message = "Wrong email or password."


class EmailNotConfirmed(AppError):
    status_code = 403
    code = "email_not_confirmed"
    message = "Confirm your email address (see the link we sent) before signing in."


class InvalidRefreshToken(AppError):
    status_code = 401
    code = "invalid_refresh_token"
    message = "The refresh token is invalid, expired or already used. Sign in again."


class SignupDisabled(AppError):
    status_code = 403
    code = "signup_disabled"
    message = "Registration is closed."


class CaptchaFailed(AppError):
    status_code = 400
    code = "captcha_failed"
    message = "The security check (captcha) failed; solve it again and retry."


class EmailSignInDisabled(AppError):
    status_code = 403
    code = "email_sign_in_disabled"
    message = "Signing up and signing in with an email address are turned off here."


class UserBanned(AppError):
    status_code = 403
    code = "user_banned"
    message = "This account is suspended; ask an administrator."


class EmailDeliveryNotConfigured(AppError):
    """The identity service will not email this address: Supabase's built-in mailer sends
    only to the project's team until custom SMTP is set up (docs/deploy.md). Nothing was
    created; retrying cannot help until an operator acts, hence no Retry-After."""

    status_code = 503
    code = "email_delivery_not_configured"
    message = (
        "We cannot send the confirmation email to this address yet: this site's email "
        "delivery is not set up. Please tell its administrator."
    )


class EmailDeliveryFailed(ServiceUnavailable):
    code = "email_delivery_failed"
    message = "The confirmation email could not be sent; try again in a few minutes."


class EmailRateLimited(AppError):
    status_code = 429
    code = "email_rate_limited"
    message = "Too many emails were sent just now; wait a few minutes and try again."


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "Too many attempts; wait a moment and try again."


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    message = "The sign-in service is unavailable; try again shortly."


class InvalidToken(AppError):
    status_code = 401
    code = "invalid_token"
    message = "The access token is invalid."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class ProfileNotFound(AppError):
    status_code = 404
    code = "profile_not_found"
    message = "No profile exists for this account."
