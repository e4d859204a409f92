"""Email and password rules, checked before any identity service is called.

The same rules hold for both identity adapters; Supabase may add its own (a leaked-password
check, for instance), whose refusals map to the same `weak_password` error.
"""

from __future__ import annotations

from videogen.auth.errors import InvalidEmail, WeakPassword

MAX_PASSWORD_BYTES = 72  # what bcrypt-based Supabase Auth keeps; more would be silently cut


def normalize_email(email: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # only these routes need it

    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"The email address is not valid: {exc}") from exc
    return result.normalized.lower()


def check_password(password: str, min_length: int) -> None:
    reasons: list[str] = []
    if len(password) < min_length or len(password.encode()) > MAX_PASSWORD_BYTES:
        reasons.append("length")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        reasons.append("characters")
    if reasons:
        raise WeakPassword(
            reasons,
            f"The password must be {min_length} to {MAX_PASSWORD_BYTES} characters long "
            "and contain both letters and digits.",
        )
