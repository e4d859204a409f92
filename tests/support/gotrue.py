"""A fake Supabase Auth (GoTrue) at its HTTP boundary, for respx.

Shaped like GoTrue's documented API version 2024-01-01: errors are
`{"code": "<error_code>", "message": ...}` with the `X-Supabase-Api-Version` header, sessions
carry ES256 access tokens whose keys are served as JWKS. Like the real service, it writes
new users into `auth.users` of the project's database, so the profile trigger runs, and its
sessions into `auth.sessions` (refresh tokens of version 2: a counter on the session, no
rows in `auth.refresh_tokens`), deleting them when they end, so the app sees what it sees
in production.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import psycopg
import respx
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


def _error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": message, **extra}, headers=API_VERSION
    )


@dataclass
class FakeGoTrue:
    base_url: str
    database_url: str
    confirm_email: bool = False
    reject_passwords: set[str] = field(default_factory=set)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    down: bool = False
    # Captcha protection on (None = off): the hCaptcha/Turnstile answers the provider would
    # accept. GoTrue reads `gotrue_meta_security.captcha_token` from the body of /signup and
    # /token?grant_type=password and refuses with 400 `captcha_failed` when it is missing or
    # wrong: https://supabase.com/docs/guides/auth/auth-captcha,
    # https://supabase.com/docs/guides/auth/debugging/error-codes (captcha_failed), source
    # https://github.com/supabase/auth/blob/master/internal/api/middleware.go (verifyCaptcha).
    captcha_tokens: set[str] | None = None
    # --- the project's Auth settings that refuse a sign-up or sign-in ---------------------
    # Sign-ups off: 422 `signup_disabled` before anything else (signup.go, `DisableSignup`):
    # https://github.com/supabase/auth/blob/master/internal/api/signup.go
    signups_disabled: bool = False
    # Email provider off: 400 `email_provider_disabled` on /signup, 422 on /token
    # (signup.go; token.go, ResourceOwnerPasswordGrant):
    # https://github.com/supabase/auth/blob/master/internal/api/token.go
    email_provider_enabled: bool = True
    # The mailer (confirmation on). `authorized_addresses`: hosted Supabase's built-in mailer
    # sends only to the project's team (https://github.com/orgs/supabase/discussions/29370);
    # GoTrue refuses any other recipient with 400 `email_address_not_authorized` and rolls
    # the sign-up back (mail.go, sendEmail + checkEmailAddressAuthorization, a `+label` is
    # ignored): https://github.com/supabase/auth/blob/master/internal/api/mail.go
    authorized_addresses: set[str] | None = None
    # The project's email budget (RATE_LIMIT_EMAIL_SENT; the built-in mailer allows 2 an
    # hour): past it 429 `over_email_send_rate_limit` "Email rate limit exceeded" (mail.go).
    emails_per_hour: int | None = None
    # One user's resend interval (SMTP max frequency, 60 s by default): a second sign-up of an
    # unconfirmed email within it is 429 `over_email_send_rate_limit` "For security purposes,
    # you can only request this after N seconds." (mail.go, validateSentWithinFrequencyLimit;
    # errors.go, generateFrequencyLimitErrorMessage).
    email_max_frequency_seconds: int = 60
    # Custom SMTP misconfigured (wrong password, host unreachable): sendConfirmation answers
    # 500 "Error sending confirmation email" (code `unexpected_failure`) and rolls back.
    smtp_failing: bool = False
    # The per-IP limiter in front of /signup and /token: 429 `over_request_rate_limit`
    # "Request rate limit reached" (middleware.go, limitHandler):
    # https://github.com/supabase/auth/blob/master/internal/api/middleware.go
    over_request_rate_limit: bool = False
    # Banned users: 400 `user_banned` "User is banned" on sign-in, before the password check
    # (token.go, `IsBanned`).
    banned: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.users: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> (email, session id)
        # rotated tokens: token -> (session id, when rotated, the token that replaced it)
        self.rotated: dict[str, tuple[str, float, str]] = {}
        self.reuse_interval = 10.0  # GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL's default
        self.sessions: dict[str, str] = {}  # session id -> email
        self.requests: list[httpx.Request] = []
        self.emails_sent: list[tuple[float, str]] = []  # (time, recipient)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/auth/v1"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {
            "keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"]}]
        }

    def mount(self, router: respx.Router) -> None:
        router.post(f"{self.issuer}/signup").mock(side_effect=self._signup)
        router.post(f"{self.issuer}/token").mock(side_effect=self._token)
        router.post(f"{self.issuer}/logout").mock(side_effect=self._logout)
        router.delete(url__regex=rf"{self.issuer}/admin/users/.+").mock(
            side_effect=self._delete_user
        )
        router.get(f"{self.issuer}/.well-known/jwks.json").mock(
            side_effect=lambda request: httpx.Response(200, json=self.jwks())
        )

    # --- endpoints ---
    def _signup(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            return httpx.Response(503, text="upstream unavailable")
        if self.over_request_rate_limit:
            return _error(429, "over_request_rate_limit", "Request rate limit reached")
        if self.signups_disabled:
            return _error(422, "signup_disabled", "Signups not allowed for this instance")
        body = json.loads(request.content)
        if (refused := self._captcha_refusal(body)) is not None:
            return refused
        if not self.email_provider_enabled:
            return _error(400, "email_provider_disabled", "Email signups are disabled")
        email, password = body["email"], body["password"]
        if password in self.reject_passwords:
            return _error(
                422,
                "weak_password",
                "Password is known to be weak and easy to guess, please choose a different one.",
                weak_password={"reasons": ["pwned"]},
            )
        if email in self.users:
            return self._repeated_signup(self.users[email])
        if self.confirm_email and (refused := self._send_confirmation(email, None)):
            return refused  # the transaction rolls back: no user
        user = self._create_user(email, password, body.get("data") or {})
        if self.confirm_email:
            return httpx.Response(200, json=user, headers=API_VERSION)
        return httpx.Response(200, json=self._session(user), headers=API_VERSION)

    def _send_confirmation(self, email: str, sent_at: float | None) -> httpx.Response | None:
        """sendConfirmation (mail.go): the user's resend interval, then sendEmail's recipient
        check and the project's budget, then the mailer itself. None = sent."""
        now = time.time()
        if sent_at is not None and now < sent_at + self.email_max_frequency_seconds:
            left = int(sent_at + self.email_max_frequency_seconds - now)
            return _error(
                429,
                "over_email_send_rate_limit",
                f"For security purposes, you can only request this after {left} seconds.",
            )
        if self.authorized_addresses is not None:
            normalized = re.sub(r"[+][^@]+@", "@", email)
            if normalized.lower() not in {a.lower() for a in self.authorized_addresses}:
                return _error(
                    400,
                    "email_address_not_authorized",
                    f'Email address "{email}" cannot be used as it is not authorized',
                )
        if self.emails_per_hour is not None:
            recent = [t for t, _ in self.emails_sent if t > now - 3600]
            if len(recent) >= self.emails_per_hour:
                return _error(429, "over_email_send_rate_limit", "Email rate limit exceeded")
        if self.smtp_failing:
            return _error(500, "unexpected_failure", "Error sending confirmation email")
        self.emails_sent.append((now, email))
        return None

    def _repeated_signup(self, user: dict[str, Any]) -> httpx.Response:
        """An email that already has an account (signup.go, `UserExistsError` branch):
        https://github.com/supabase/auth/blob/master/internal/api/signup.go
        with autoconfirm, 422 `user_already_exists`; with confirmation on, a confirmed user
        comes back obfuscated by `sanitizeUser` (a fresh random id, no identities, 200) and
        an unconfirmed one as itself (its confirmation is sent again). Nothing is changed."""
        if not self.confirm_email:
            return _error(422, "user_already_exists", "User already registered")
        if user["email_confirmed_at"] is None:
            if refused := self._send_confirmation(user["email"], user["_confirmation_sent"]):
                return refused
            user["_confirmation_sent"] = time.time()
            return httpx.Response(200, json=self._public(user), headers=API_VERSION)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        obfuscated = {
            **self._public(user),
            "id": str(uuid.uuid4()),
            "role": "",
            "email_confirmed_at": None,
            "confirmation_sent_at": now,
            "identities": [],
            "created_at": now,
            "updated_at": now,
        }
        return httpx.Response(200, json=obfuscated, headers=API_VERSION)

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            return httpx.Response(503, text="upstream unavailable")
        body = json.loads(request.content)
        grant = request.url.params.get("grant_type")
        if grant == "password":
            if self.over_request_rate_limit:
                return _error(429, "over_request_rate_limit", "Request rate limit reached")
            if (refused := self._captcha_refusal(body)) is not None:
                return refused
            if not self.email_provider_enabled:
                return _error(422, "email_provider_disabled", "Email logins are disabled")
            user = self.users.get(body.get("email", ""))
            if user is not None and user["email"] in self.banned:
                return _error(400, "user_banned", "User is banned")
            if user is None or user["_password"] != body.get("password"):
                return _error(400, "invalid_credentials", "Invalid login credentials")
            if user["email_confirmed_at"] is None:
                return _error(400, "email_not_confirmed", "Email not confirmed")
            return httpx.Response(200, json=self._session(user), headers=API_VERSION)
        if grant == "refresh_token":
            token = body.get("refresh_token", "")
            if token in self.rotated:
                return self._reused(token)
            found = self.refresh_tokens.pop(token, None)
            if found is None:
                return _error(
                    400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
                )
            email, session_id = found
            session = self._session(self.users[email], session_id)
            self.rotated[token] = (session_id, time.monotonic(), session["refresh_token"])
            return httpx.Response(200, json=session, headers=API_VERSION)
        return _error(400, "validation_failed", "Unsupported grant type")

    def _reused(self, token: str) -> httpx.Response:
        """A rotated refresh token again (v2 tokens, `RefreshTokenGrant` in
        https://github.com/supabase/auth/blob/master/internal/tokens/service.go): within the
        reuse interval the session's current token comes back (concurrent refreshes);
        later, with rotation on (the default), `LogoutSession` deletes the whole session and
        the answer is 400 `refresh_token_already_used`."""
        session_id, rotated_at, child = self.rotated[token]
        if session_id not in self.sessions:
            return _error(400, "session_not_found", "Invalid Refresh Token: No Valid Session Found")
        if time.monotonic() - rotated_at <= self.reuse_interval and child in self.refresh_tokens:
            email = self.sessions[session_id]
            session = self._session(self.users[email], session_id, refresh=child)
            return httpx.Response(200, json=session, headers=API_VERSION)
        self._end_sessions({session_id})
        return _error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")

    def _end_sessions(self, ended: set[str]) -> None:
        for sid in ended:
            self.sessions.pop(sid, None)
        self.refresh_tokens = {t: v for t, v in self.refresh_tokens.items() if v[1] not in ended}
        with psycopg.connect(self.database_url) as conn:
            conn.execute("delete from auth.sessions where id = any(%s)", (list(ended),))

    def _logout(self, request: httpx.Request) -> httpx.Response:
        """`POST /logout` behind `requireAuthentication` (api.go), with the user's JWT:
        https://github.com/supabase/auth/blob/master/internal/api/logout.go
        a session that no longer exists is 403 `session_not_found` (auth.go,
        maybeLoadUserOrSession); `scope` local ends this session, global (the default) all
        of the user's, others all but this one; 204 with no body."""
        self.requests.append(request)
        if self.down:
            return httpx.Response(503, text="upstream unavailable")
        if "apikey" not in request.headers:
            return _error(401, "no_authorization", "No API key found in request")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(
                bearer,
                self.private_key.public_key(),
                algorithms=["ES256"],
                audience="authenticated",
            )
        except jwt.PyJWTError:
            return _error(403, "bad_jwt", "invalid JWT: unable to parse or verify signature")
        session_id = claims.get("session_id", "")
        if session_id not in self.sessions:
            return _error(
                403, "session_not_found", "Session from session_id claim in JWT does not exist"
            )
        scope = request.url.params.get("scope", "global")
        if scope not in ("global", "local", "others"):
            return _error(400, "validation_failed", f'Unsupported logout scope "{scope}"')
        email = self.sessions[session_id]
        ended = {
            sid
            for sid, owner in self.sessions.items()
            if owner == email and (scope == "global" or (sid == session_id) == (scope == "local"))
        }
        self._end_sessions(ended)
        return httpx.Response(204, headers=API_VERSION)

    def _delete_user(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != "Bearer service-role-key":
            return _error(403, "not_admin", "User not allowed")
        user_id = request.url.path.rsplit("/", 1)[-1]
        email = next((e for e, u in self.users.items() if u["id"] == user_id), None)
        if email is None:
            return _error(404, "user_not_found", "User not found")
        del self.users[email]
        self._end_sessions({sid for sid, owner in self.sessions.items() if owner == email})
        with psycopg.connect(self.database_url) as conn:
            conn.execute("delete from auth.users where id = %s", (user_id,))
        return httpx.Response(200, json={}, headers=API_VERSION)

    def _captcha_refusal(self, body: dict[str, Any]) -> httpx.Response | None:
        if self.captcha_tokens is None:
            return None
        token = (body.get("gotrue_meta_security") or {}).get("captcha_token")
        if not token:
            reason = "no captcha_token found"
        elif token not in self.captcha_tokens:
            reason = "invalid-input-response"
        else:
            return None
        return _error(400, "captcha_failed", f"captcha protection: request disallowed ({reason})")

    # --- state ---
    def _create_user(self, email: str, password: str, data: dict[str, Any]) -> dict[str, Any]:
        user_id = str(uuid.uuid4())
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        confirmed = None if self.confirm_email else now
        with psycopg.connect(self.database_url) as conn:
            conn.execute(
                """insert into auth.users (id, email, encrypted_password, email_confirmed_at,
                       raw_app_meta_data, raw_user_meta_data)
                   values (%s, %s, 'hashed-by-gotrue', %s, %s, %s)""",
                (
                    user_id,
                    email,
                    confirmed,
                    json.dumps({"provider": "email", "providers": ["email"]}),
                    json.dumps(data),
                ),
            )
        user = {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "email_confirmed_at": confirmed,
            "phone": "",
            "confirmation_sent_at": now if self.confirm_email else None,
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": data,
            "identities": [],
            "created_at": now,
            "updated_at": now,
            "is_anonymous": False,
            "_password": password,
            "_confirmation_sent": time.time() if self.confirm_email else None,
        }
        self.users[email] = user
        return self._public(user)

    def confirm(self, email: str) -> None:
        self.users[email]["email_confirmed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    @staticmethod
    def _public(user: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in user.items() if not k.startswith("_")}

    def access_token(self, user: dict[str, Any], **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": "authenticated",
            "sub": user["id"],
            "exp": now + 3600,
            "iat": now,
            "email": user["email"],
            "role": "authenticated",
            "aal": "aal1",
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
            **overrides,
        }
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": self.kid})

    def _session(
        self, user: dict[str, Any], session_id: str | None = None, refresh: str | None = None
    ) -> dict[str, Any]:
        """A new session (sign-in), the next tokens of one (refresh), or its current refresh
        token again (`refresh`, an allowed reuse)."""
        user = self.users[user["email"]]
        if session_id is None:
            session_id = str(uuid.uuid4())
            self.sessions[session_id] = user["email"]
            with psycopg.connect(self.database_url) as conn:
                conn.execute(
                    """insert into auth.sessions (id, user_id, refresh_token_counter)
                       values (%s, %s, 1)""",
                    (session_id, user["id"]),
                )
        if refresh is None:
            refresh = secrets.token_urlsafe(12)
        self.refresh_tokens[refresh] = (user["email"], session_id)
        return {
            "access_token": self.access_token(user, session_id=session_id),
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": int(time.time()) + 3600,
            "refresh_token": refresh,
            "user": self._public(user),
        }
