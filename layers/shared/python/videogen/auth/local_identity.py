"""The local identity store: users in the `auth.users` stand-in, Supabase-shaped JWTs.

Passwords are hashed with Argon2id; refresh tokens are stored as SHA-256 only, rotated on
every use, expire after `refresh_token_ttl` unused; a rotated token reused within the reuse
interval gets the session's current token, later it ends its whole session, as Supabase Auth
does. Only the embedded stack uses this adapter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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


_MAX_REUSE_DEPTH = 10


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
    reuse_interval: int = 10
    refresh_token_ttl: int = 30 * 86_400

    def __post_init__(self) -> None:
        # a key of its own for deriving refresh tokens, never the JWT signing key itself
        self._child_key = hashlib.sha256(b"refresh-token child:" + self.secret.encode()).digest()
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
            reuse_interval=settings.refresh_token_reuse_interval_seconds,
            refresh_token_ttl=settings.refresh_token_ttl_seconds,
        )

    def sign_up(
        self, email: str, password: str, display_name: str, captcha_token: str | None = None
    ) -> SignUpResult:
        """A taken email changes nothing and answers like a new one (GoTrue's behaviour with
        confirmation on: https://github.com/supabase/auth/blob/master/internal/api/signup.go,
        `sanitizeUser`); the password is hashed on both paths, so timing tells nothing either.
        No session: the client signs in with /auth/login. `captcha_token` is ignored: the
        local stack has no captcha provider to ask."""
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

    def sign_in(self, email: str, password: str, captcha_token: str | None = None) -> AuthSession:
        """`captcha_token` is ignored (no captcha provider locally)."""
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
        """Rotates the token. A rotated token that comes back within the reuse interval (two
        tabs, a retried request) gets the session's current token again, not a new one;
        later, it may be stolen, and its whole session ends. As GoTrue does:
        https://github.com/supabase/auth/blob/master/internal/tokens/service.go
        (`RefreshTokenGrant`: `FindCurrentlyActiveRefreshToken`, `RefreshTokenReuseInterval`).
        """
        with self.db.connection() as conn:
            row = conn.execute(
                """select id, revoked, session_id,
                          updated_at > now() - make_interval(secs => %s) as reusable,
                          created_at <= now() - make_interval(secs => %s) as expired
                   from auth.refresh_tokens where token = %s for update""",
                (self.reuse_interval, self.refresh_token_ttl, _token_hash(refresh_token)),
            ).fetchone()
            if row is None:
                raise InvalidRefreshToken()
            if row["revoked"] and not row["reusable"]:
                # A rotated token came back late: it may be stolen. End the whole session.
                conn.execute("delete from auth.sessions where id = %s", (row["session_id"],))
                conn.commit()
                raise InvalidRefreshToken()
            if row["expired"] and not row["revoked"]:
                raise InvalidRefreshToken()
            user = conn.execute(
                f"""select {_USER_COLUMNS} from auth.users
                    where id = (select user_id from auth.sessions where id = %s)""",
                (row["session_id"],),
            ).fetchone()
            if user is None:
                raise InvalidRefreshToken()
            if row["revoked"]:
                current = self._current_descendant(conn, refresh_token, row["session_id"])
                if current is None:
                    raise InvalidRefreshToken()
                return self._session(user, row["session_id"], current)
            conn.execute(
                "update auth.refresh_tokens set revoked = true, updated_at = now() where id = %s",
                (row["id"],),
            )
            return self._issue(
                conn, user, row["session_id"], self._child_token(refresh_token), refresh_token
            )

    def sign_out(self, access_token: str, session_id: UUID) -> None:
        """Ends the session: its refresh tokens go with it (foreign key cascade). GoTrue's
        `scope=local` logout: https://github.com/supabase/auth/blob/master/internal/api/logout.go
        """
        with self.db.connection() as conn:
            conn.execute("delete from auth.sessions where id = %s", (session_id,))

    def _child_token(self, parent: str) -> str:
        """The token a rotation of `parent` issues. Derived (keyed with the server's secret)
        rather than random, so a reuse within the interval can hand back the very token the
        first rotation issued while only SHA-256 hashes are stored."""
        digest = hmac.new(self._child_key, parent.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _current_descendant(self, conn: Connection, token: str, session_id: UUID) -> str | None:
        """The session's live token, if it descends from `token` (a few rotations at most
        fit in the reuse interval)."""
        for _ in range(_MAX_REUSE_DEPTH):
            token = self._child_token(token)
            child = conn.execute(
                """select revoked from auth.refresh_tokens
                   where token = %s and session_id = %s""",
                (_token_hash(token), session_id),
            ).fetchone()
            if child is None:
                return None
            if not child["revoked"]:
                return token
        return None

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
        return self._issue(conn, user, session["id"], secrets.token_urlsafe(32), parent=None)

    def _issue(
        self,
        conn: Connection,
        user: dict[str, Any],
        session_id: UUID,
        refresh_token: str,
        parent: str | None,
    ) -> AuthSession:
        conn.execute(
            """insert into auth.refresh_tokens (token, user_id, session_id, parent)
               values (%s, %s, %s, %s)""",
            (
                _token_hash(refresh_token),
                str(user["id"]),
                session_id,
                _token_hash(parent) if parent else None,
            ),
        )
        return self._session(user, session_id, refresh_token)

    def _session(self, user: dict[str, Any], session_id: UUID, refresh_token: str) -> AuthSession:
        """A fresh access token for the session, with the given refresh token."""
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
