"""Verifies Supabase access tokens (and the local store's, which have the same shape).

Supabase signs with an asymmetric key published as JWKS (ES256 recommended, RS256) or, in
older projects, with the HS256 JWT secret. The algorithm in the token header decides which
key is used, and each algorithm only ever gets its own kind of key: an HS256 token is checked
against the configured secret, never against a public key (no algorithm confusion), and
`none` is never accepted. `exp`, `aud` and `iss` are always required and checked.

Clocks differ by a few seconds between Supabase and Lambda: a token minted "now" can carry an
`iat` (or `nbf`) slightly in our future. `leeway` allows that much skew on `iat`/`nbf` only;
PyJWT's own `leeway` would stretch `exp` too, so expiry is checked again without it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    import httpx
    from jwt import PyJWK

from videogen.auth.errors import InvalidToken
from videogen.errors import ServiceUnavailable
from videogen.keysets import KeySetCache

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]


@dataclass(frozen=True)
class AuthenticatedUser:
    """The caller, as the verified token says."""

    id: UUID
    email: str | None
    session_id: str | None
    claims: dict[str, Any] = field(repr=False)


class JwksUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    message = "The signing keys could not be fetched; try again shortly."


def _parse_jwks(document: dict[str, Any]) -> dict[str, PyJWK]:
    import jwt

    keys: dict[str, PyJWK] = {}
    for jwk in document.get("keys", []):
        if jwk.get("kid") and jwk.get("alg") in ASYMMETRIC_ALGORITHMS:
            try:
                keys[jwk["kid"]] = jwt.PyJWK.from_dict(jwk)
            except jwt.PyJWTError:
                continue  # a key type this library cannot use: skip it, keep the others
    return keys


class JwksCache:
    """Supabase's JWKS, fresh for `ttl` seconds and refetched early for an unknown `kid`
    (at most once per `min_refetch_interval`). Past `ttl` the keys keep verifying for up to
    `max_stale` seconds while one refresh runs or when Supabase cannot be reached (a revoked
    key disappears at the first successful fetch); past that, or with no keys at all, a
    failed fetch is a 503. See `videogen.keysets` for the single-flight and cooldown rules."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 600,
        timeout: float = 5.0,
        min_refetch_interval: float = 30.0,
        max_stale: float = 3600.0,
        failure_cooldown: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._keys = KeySetCache(
            url,
            _parse_jwks,
            ttl=ttl,
            min_refetch=min_refetch_interval,
            timeout=timeout,
            unavailable=JwksUnavailable,
            max_stale=max_stale,
            failure_cooldown=failure_cooldown,
            http=http,
        )

    def get(self, kid: str) -> PyJWK | None:
        keys = self._keys.get()
        if kid not in keys:
            keys = self._keys.get(refetch=True)
        return keys.get(kid)


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        secret: str | None = None,
        jwks: JwksCache | None = None,
        leeway: int = 0,
    ) -> None:
        """`leeway`: seconds of clock skew allowed on `iat` and `nbf`, never on `exp`."""
        if secret is None and jwks is None:
            raise ValueError("A token verifier needs a secret, a JWKS, or both.")
        self.issuer = issuer
        self.audience = audience
        self._secret = secret
        self._jwks = jwks
        self._leeway = leeway

    def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        alg = header.get("alg")
        if alg == "HS256" and self._secret is not None:
            return self._secret, alg
        if alg in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise InvalidToken("The token names no signing key.")
            jwk = self._jwks.get(kid)
            if jwk is None:
                raise InvalidToken("The token is signed with an unknown key.")
            if jwk.algorithm_name != alg:
                raise InvalidToken("The token's algorithm does not match its key.")
            return jwk.key, alg
        raise InvalidToken("The token's signing algorithm is not accepted.")

    def verify(self, token: str) -> AuthenticatedUser:
        import jwt  # with `cryptography`, ~50 ms: paid by the first authenticated request

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("The access token is malformed.") from exc
        key, alg = self._key_for(header)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access token has expired.", code="token_expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("The access token is not valid yet (iat or nbf).") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("The access token is not meant for this API.") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("The access token was issued by someone else.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        if self._leeway and int(claims["exp"]) <= time.time():  # no leeway on expiry
            raise InvalidToken("The access token has expired.", code="token_expired")
        try:
            user_id = UUID(str(claims["sub"]))
        except ValueError as exc:
            raise InvalidToken("The access token's subject is not a user id.") from exc
        return AuthenticatedUser(
            id=user_id,
            email=claims.get("email"),
            session_id=claims.get("session_id"),
            claims=claims,
        )
