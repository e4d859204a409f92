"""The identity port: what the app needs from an identity service, and how one is chosen.

Adapters: `SupabaseIdentity` (Supabase Auth, production) and `LocalIdentity` (the embedded
stack's own store in `auth.users`, issuing Supabase-shaped JWTs). Both raise the errors in
`videogen.auth.errors`, so the routes cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class AuthSession:
    access_token: str
    refresh_token: str
    expires_in: int
    expires_at: int
    user_id: UUID
    email: str


@dataclass(frozen=True)
class SignUpResult:
    """The same for a new and an already registered email (no account enumeration): the
    caller learns only whether this deployment makes new accounts confirm their email."""

    confirmation_required: bool


class IdentityProvider(Protocol):
    # `captcha_token`: the client's hCaptcha/Turnstile answer, for services that check one.
    def sign_up(
        self, email: str, password: str, display_name: str, captcha_token: str | None = None
    ) -> SignUpResult:
        """Creates the account if the email is new; an existing account is left unchanged
        and the answer is the same."""

    def sign_in(
        self, email: str, password: str, captcha_token: str | None = None
    ) -> AuthSession: ...

    def refresh(self, refresh_token: str) -> AuthSession: ...

    def sign_out(self, access_token: str, session_id: UUID) -> None:
        """Revokes this session's refresh tokens (the user's other sessions stay). Signing
        out a session that is already gone succeeds."""

    def delete_user(self, user_id: UUID) -> None:
        """Removes the account; its profile goes with it (foreign key cascade)."""
