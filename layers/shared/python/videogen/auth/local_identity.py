"""The local identity store: users in the `auth.users` stand-in, Supabase-shaped JWTs.

Passwords are hashed with Argon2id; refresh tokens are random, stored as SHA-256 only,
rotated on every use, and a reused (already rotated) token ends its whole session, as
Supabase Auth does. Only the embedded stack uses this adapter.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from videogen.auth.errors import (
    EmailNotConfirmed,
    InvalidCredentials,
    InvalidRefreshToken,
)
from videogen.auth.identity import AuthSession, SignUpResult
from videogen.db import Connection, Database
from videogen.settings import Settings

_USER_COLUMNS = (
    "id, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data"
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class LocalIdentity:
    db: Database
    secret: str
    issuer: str
    audience: str
    access_token_ttl: int
    autoconfirm: bool

    def __post_init__(self) -> None:
        self._hasher = PasswordHasher()
        # verified against when the email is unknown, so both paths take the same time
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> LocalIdentity:
        assert settings.supabase_jwt_secret is not None  # required by get_identity_provider
        return cls(
            db=db,
            secret=settings.supabase_jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_token_ttl=settings.access_token_ttl_seconds,
            autoconfirm=settings.local_auth_autoconfirm,
        )

    def sign_up(self, email: str, password: str, display_name: str) -> SignUpResult:
        """A taken email changes nothing and answers like a new one (GoTrue's behaviour with
        confirmation on: https://github.com/supabase/auth/blob/master/internal/api/signup.go,
        `sanitizeUser`); the password is hashed on both paths, so timing tells nothing either.
        No session: the client signs in with /auth/login."""
        app_meta = {"provider": "email", "providers": ["email"]}
        password_hash = self._hasher.hash(password)
        with self.db.connection() as conn:
            conn.execute(
                """insert into auth.users
                     (email, encrypted_password, email_confirmed_at,
                      raw_app_meta_data, raw_user_meta_data)
                   values (%s, %s, case when %s then now() end, %s, %s)
                   on conflict (email) do nothing""",
                (
                    email,
                    password_hash,
                    self.autoconfirm,
                    json.dumps(app_meta),
                    json.dumps({"display_name": display_name}),
                ),
            )
        return SignUpResult(confirmation_required=not self.autoconfirm)

    def sign_in(self, email: str, password: str) -> AuthSession:
        with self.db.connection() as conn:
            user = conn.execute(
                f"select {_USER_COLUMNS} from auth.users where email = %s", (email,)
            ).fetchone()
            if user is None:
                self._password_matches(self._dummy_hash, password)
                raise InvalidCredentials()
            if not self._password_matches(user["encrypted_password"], password):
                raise InvalidCredentials()
            if user["email_confirmed_at"] is None:
                raise EmailNotConfirmed()
            conn.execute(
                "update auth.users set last_sign_in_at = now() where id = %s", (user["id"],)
            )
            return self._new_session(conn, user)

    def refresh(self, refresh_token: str) -> AuthSession:
        with self.db.connection() as conn:
            row = conn.execute(
                """select id, revoked, session_id from auth.refresh_tokens
                   where token = %s for update""",
                (_token_hash(refresh_token),),
            ).fetchone()
            if row is None:
                raise InvalidRefreshToken()
            if row["revoked"]:
                # A rotated token came back: it may be stolen. End the whole session.
                conn.execute("delete from auth.sessions where id = %s", (row["session_id"],))
                conn.commit()
                raise InvalidRefreshToken()
            conn.execute(
                "update auth.refresh_tokens set revoked = true, updated_at = now() where id = %s",
                (row["id"],),
            )
            user = conn.execute(
                f"""select {_USER_COLUMNS} from auth.users
                    where id = (select user_id from auth.sessions where id = %s)""",
                (row["session_id"],),
            ).fetchone()
            if user is None:
                raise InvalidRefreshToken()
            return self._issue(conn, user, row["session_id"], parent=_token_hash(refresh_token))

    def delete_user(self, user_id: UUID) -> None:
        with self.db.connection() as conn:
            conn.execute("delete from auth.users where id = %s", (user_id,))

    def _password_matches(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _new_session(self, conn: Connection, user: dict[str, Any]) -> AuthSession:
        session = conn.execute(
            "insert into auth.sessions (user_id) values (%s) returning id", (user["id"],)
        ).fetchone()
        assert session is not None
        return self._issue(conn, user, session["id"], parent=None)

    def _issue(
        self,
        conn: Connection,
        user: dict[str, Any],
        session_id: UUID,
        parent: str | None,
    ) -> AuthSession:
        refresh_token = secrets.token_urlsafe(32)
        conn.execute(
            """insert into auth.refresh_tokens (token, user_id, session_id, parent)
               values (%s, %s, %s, %s)""",
            (_token_hash(refresh_token), str(user["id"]), session_id, parent),
        )
        now = int(time.time())
        expires_at = now + self.access_token_ttl
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user["id"]),
            "exp": expires_at,
            "iat": now,
            "email": user["email"],
            "phone": "",
            "app_metadata": user["raw_app_meta_data"] or {},
            "user_metadata": user["raw_user_meta_data"] or {},
            "role": "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": str(session_id),
            "is_anonymous": False,
        }
        access_token = jwt.encode(claims, self.secret, algorithm="HS256")
        return AuthSession(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=self.access_token_ttl,
            expires_at=expires_at,
            user_id=user["id"],
            email=user["email"],
        )
