"""Access-token verification: every protected route's gate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.conftest import TEST_JWT_SECRET
from tests.support.handlers import load_handler
from tests.support.keyserver import KeyServer
from videogen.auth.deps import get_token_verifier
from videogen.auth.errors import InvalidToken
from videogen.auth.tokens import JwksCache, JwksUnavailable, TokenVerifier, _parse_jwks

SUPABASE_URL = "https://ref.supabase.co"
ISSUER = f"{SUPABASE_URL}/auth/v1"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


def claims(**overrides) -> dict:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": "authenticated",
        "sub": str(uuid.uuid4()),
        "exp": now + 600,
        "iat": now,
        "role": "authenticated",
        "email": "ada@school.example",
        "session_id": str(uuid.uuid4()),
        **overrides,
    }


class Keys:
    def __init__(self) -> None:
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.fetches = 0
        self.served: list[dict] = [
            {**json.loads(ECAlgorithm.to_jwk(self.ec.public_key())), "kid": "ec1", "alg": "ES256"},
            {
                **json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key())),
                "kid": "rsa1",
                "alg": "RS256",
            },
        ]

        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.down:
            raise httpx.ConnectError("Supabase unreachable")
        return httpx.Response(200, json={"keys": self.served})


@pytest.fixture
def keys(configure: Callable[..., None]):
    configure(SUPABASE_URL=SUPABASE_URL, JWT_JWKS_ENABLED="true")
    keys = Keys()
    with respx.mock(assert_all_called=False) as router:
        router.get(JWKS_URL).mock(side_effect=keys.handler)
        yield keys


@pytest.fixture
def client(keys) -> TestClient:
    return TestClient(load_handler("auth").app)


def me(client: TestClient, token: str):
    return client.get("/me", headers={"Authorization": f"Bearer {token}"})


def assert_401(response, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("kid", "alg"), [("ec1", "ES256"), ("rsa1", "RS256")])
def test_valid_asymmetric_tokens_pass_the_gate(client, keys, kid, alg) -> None:
    key = keys.ec if alg == "ES256" else keys.rsa
    token = jwt.encode(claims(), key, algorithm=alg, headers={"kid": kid})
    # the gate passed: the user simply has no profile in this empty database
    assert me(client, token).json()["error"]["code"] == "profile_not_found"


def test_hs256_secret_still_accepted(client) -> None:
    token = jwt.encode(claims(), TEST_JWT_SECRET, algorithm="HS256")
    assert me(client, token).status_code == 404


def test_expired_token(client, keys) -> None:
    token = jwt.encode(
        claims(exp=int(time.time()) - 5), keys.ec, algorithm="ES256", headers={"kid": "ec1"}
    )
    assert_401(me(client, token), "token_expired")


def test_wrong_audience_and_wrong_issuer(client, keys) -> None:
    for bad in (claims(aud="anon"), claims(iss="https://evil.example/auth/v1")):
        token = jwt.encode(bad, keys.ec, algorithm="ES256", headers={"kid": "ec1"})
        assert_401(me(client, token))


def test_missing_required_claim(client, keys) -> None:
    body = claims()
    del body["exp"]
    token = jwt.encode(body, keys.ec, algorithm="ES256", headers={"kid": "ec1"})
    assert_401(me(client, token))


def test_forged_with_another_key(client) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), other, algorithm="ES256", headers={"kid": "ec1"})
    assert_401(me(client, token))
    forged_hs = jwt.encode(claims(), "a-guessed-secret-of-enough-length!!", algorithm="HS256")
    assert_401(me(client, forged_hs))


def test_tampered_payload(client, keys) -> None:
    token = jwt.encode(claims(), keys.ec, algorithm="ES256", headers={"kid": "ec1"})
    head, _, sig = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    assert_401(me(client, f"{head}.{payload}.{sig}"))


def test_alg_none_rejected(client) -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    assert_401(me(client, token))


def test_algorithm_confusion_rejected(client, keys) -> None:
    """HS256 signed with the public RSA key as the secret must not verify."""
    public_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    signature = hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest()
    token = b".".join([header, payload, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()
    assert_401(me(client, token))
    # an ES256 header on the RSA key's kid is refused too
    mismatched = jwt.encode(claims(), keys.ec, algorithm="ES256", headers={"kid": "rsa1"})
    assert_401(me(client, mismatched))


def test_unknown_kid_triggers_one_refetch(client, keys) -> None:
    token = jwt.encode(claims(), keys.ec, algorithm="ES256", headers={"kid": "ec1"})
    assert me(client, token).status_code == 404
    assert keys.fetches == 1
    # Supabase rotates: a new key appears under a new kid
    new_key = ec.generate_private_key(ec.SECP256R1())
    keys.served.append(
        {**json.loads(ECAlgorithm.to_jwk(new_key.public_key())), "kid": "ec2", "alg": "ES256"}
    )
    # the cache refetches for an unknown kid at most every 30 s: age it past that
    get_token_verifier()._jwks._keys._fetched_at -= 31
    rotated = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "ec2"})
    assert me(client, rotated).status_code == 404
    assert keys.fetches == 2
    # a made-up kid right after does not hit Supabase again
    fake = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "zz"})
    assert_401(me(client, fake))
    assert keys.fetches == 2


def test_jwks_down_is_503(configure: Callable[..., None]) -> None:
    configure(SUPABASE_URL=SUPABASE_URL, JWT_JWKS_ENABLED="true")
    client = TestClient(load_handler("auth").app)
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": "ec1"})
    with respx.mock() as router:
        router.get(JWKS_URL).mock(side_effect=httpx.ConnectError("down"))
        response = me(client, token)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "identity_unavailable"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_token"),
        ("Basic dXNlcjpwYXNz", "missing_token"),
        ("Bearer not.a.jwt", "invalid_token"),
        ("Bearer ", "missing_token"),
    ],
)
def test_missing_or_malformed_authorization(client, header, code) -> None:
    headers = {"Authorization": header} if header is not None else {}
    assert_401(client.get("/me", headers=headers), code)


def test_concurrent_checks_against_a_hanging_jwks_share_one_fetch(
    configure: Callable[..., None],
) -> None:
    """The issue's reproduction: with Supabase's JWKS hanging, six concurrent checks each
    waited their turn behind the cache's lock and failed one timeout apart (2, 4, … 12 s).
    Now one fetch is made, all six fail with it, and the next check fails fast."""
    server = KeyServer({"keys": []})
    server.mode = "hang"
    # a real HTTP server standing in for <SUPABASE_URL>/auth/v1/.well-known/jwks.json
    configure(SUPABASE_URL=server.url, JWT_JWKS_ENABLED="true", HTTP_TIMEOUT_SECONDS="0.5")
    verifier = get_token_verifier()
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        claims(iss=f"{server.url}/auth/v1"), key, algorithm="ES256", headers={"kid": "ec1"}
    )
    barrier = threading.Barrier(6)
    outcomes: list[BaseException | None] = [None] * 6

    def check(index: int) -> None:
        barrier.wait()
        try:
            verifier.verify(token)
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=check, args=(i,)) for i in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert all(isinstance(o, JwksUnavailable) for o in outcomes), outcomes
        assert server.hits == 1
        with pytest.raises(JwksUnavailable):  # within the cooldown: no new request
            verifier.verify(token)
        assert server.hits == 1
    finally:
        server.close()


def test_stale_jwks_keeps_verifying_while_supabase_is_unreachable(client, keys) -> None:
    token = jwt.encode(claims(), keys.ec, algorithm="ES256", headers={"kid": "ec1"})
    assert me(client, token).status_code == 404
    cache = get_token_verifier()._jwks._keys
    cache._fetched_at -= 601  # past JWKS_CACHE_SECONDS, within JWKS_MAX_STALE_SECONDS
    keys.down = True
    assert me(client, token).status_code == 404  # verified with the stale keys
    assert keys.fetches == 2  # one refresh was tried
    cache._fetched_at -= 3600  # past the stale grace as well
    cache._failed_at -= 31  # and past the failure cooldown
    response = me(client, token)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "identity_unavailable"
    assert keys.fetches == 3


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_few_seconds_of_clock_skew_on_iat_and_nbf(client, keys, claim: str) -> None:
    """Supabase's clock a little ahead of ours: a fresh token is accepted (JWT_LEEWAY_SECONDS,
    5 by default); a token dated a minute ahead is not."""
    now = int(time.time())
    ahead = jwt.encode(
        claims(**{claim: now + 3}), keys.ec, algorithm="ES256", headers={"kid": "ec1"}
    )
    assert me(client, ahead).status_code == 404
    future = jwt.encode(
        claims(**{claim: now + 60}), keys.ec, algorithm="ES256", headers={"kid": "ec1"}
    )
    response = me(client, future)
    assert_401(response)
    assert "not valid yet" in response.json()["error"]["message"]


def test_leeway_does_not_stretch_expiry(client, keys) -> None:
    token = jwt.encode(
        claims(exp=int(time.time()) - 2), keys.ec, algorithm="ES256", headers={"kid": "ec1"}
    )
    assert_401(me(client, token), "token_expired")


def test_leeway_is_a_setting(configure: Callable[..., None], keys) -> None:
    configure(JWT_LEEWAY_SECONDS="0")
    client = TestClient(load_handler("auth").app)
    ahead = jwt.encode(
        claims(iat=int(time.time()) + 3), keys.ec, algorithm="ES256", headers={"kid": "ec1"}
    )
    assert_401(me(client, ahead))


def verifier(*, leeway: int = 0, secret: str | None = TEST_JWT_SECRET) -> TokenVerifier:
    """The verifier itself, Supabase's JWKS served by the `keys` fixture (respx)."""
    return TokenVerifier(
        issuer=ISSUER,
        audience="authenticated",
        secret=secret,
        jwks=JwksCache(JWKS_URL),
        leeway=leeway,
    )


def es256(keys: Keys, headers: dict | None = None, **overrides) -> str:
    return jwt.encode(claims(**overrides), keys.ec, "ES256", headers=headers or {"kid": "ec1"})


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (lambda k: "not-a-jwt", "The access token is malformed."),
        (
            lambda k: jwt.encode(claims(), None, "none"),
            "The token's signing algorithm is not accepted.",
        ),
        (lambda k: jwt.encode(claims(), k.ec, "ES256"), "The token names no signing key."),
        (lambda k: es256(k, {"kid": "gone"}), "The token is signed with an unknown key."),
        (
            lambda k: jwt.encode(claims(), k.rsa, "RS256", headers={"kid": "ec1"}),
            "The token's algorithm does not match its key.",
        ),
        (
            lambda k: es256(k, iat=int(time.time()) + 600),
            "The access token is not valid yet (iat or nbf).",
        ),
        (lambda k: es256(k, aud="anon"), "The access token is not meant for this API."),
        (
            lambda k: es256(k, iss="https://elsewhere.example"),
            "The access token was issued by someone else.",
        ),
        (lambda k: es256(k, sub="not-a-uuid"), "The access token's subject is not a user id."),
        (lambda k: es256(k, exp=int(time.time()) - 5), "The access token has expired."),
    ],
)
def test_each_rejection_says_why(keys: Keys, token, message: str) -> None:
    with pytest.raises(InvalidToken) as refused:
        verifier().verify(token(keys))
    assert refused.value.message == message
    expected = "token_expired" if "expired" in message else "invalid_token"
    assert refused.value.code == expected


def test_expiry_within_the_leeway_is_still_expired(keys: Keys) -> None:
    with pytest.raises(InvalidToken) as refused:
        verifier(leeway=30).verify(es256(keys, exp=int(time.time()) - 5))
    assert (refused.value.code, refused.value.message) == (
        "token_expired",
        "The access token has expired.",
    )


def test_verified_token_names_the_user_email_and_session(keys: Keys) -> None:
    sub, session = str(uuid.uuid4()), str(uuid.uuid4())
    user = verifier().verify(es256(keys, sub=sub, session_id=session))
    assert (str(user.id), user.email, user.session_id) == (sub, "ada@school.example", session)
    assert user.claims["role"] == "authenticated"
    hs = verifier().verify(jwt.encode(claims(sub=sub), TEST_JWT_SECRET, "HS256"))
    assert str(hs.id) == sub


def test_verifier_needs_a_secret_or_a_jwks(keys: Keys) -> None:
    with pytest.raises(ValueError, match=r"^A token verifier needs a secret, a JWKS, or both\.$"):
        TokenVerifier(issuer=ISSUER, audience="authenticated")
    TokenVerifier(issuer=ISSUER, audience="authenticated", secret=TEST_JWT_SECRET)
    only_jwks = verifier(secret=None)
    assert only_jwks.verify(es256(keys)).email == "ada@school.example"
    with pytest.raises(InvalidToken):  # no secret: HS256 is not accepted at all
        only_jwks.verify(jwt.encode(claims(), TEST_JWT_SECRET, "HS256"))


def test_supabase_jwks_keeps_the_usable_signing_keys_only(keys: Keys) -> None:
    """Supabase's JWKS (https://supabase.com/docs/guides/auth/signing-keys): keys with a
    `kid` and an asymmetric `alg`. A key this library cannot load is skipped, not the rest."""
    ec_key, rsa_key = keys.served
    document = {
        "keys": [
            {**ec_key, "kid": "broken", "x": "AA"},  # an EC point that does not load
            {**ec_key, "kid": None},
            {**rsa_key, "alg": "HS256"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hs", "alg": "HS256"},
            ec_key,
            rsa_key,
        ]
    }
    assert sorted(_parse_jwks(document)) == ["ec1", "rsa1"]
    assert _parse_jwks({}) == {}


def test_jwks_failure_cooldown_is_the_one_configured(keys: Keys) -> None:
    """`KEY_FETCH_COOLDOWN_SECONDS` reaches the key cache: with 0, every caller tries again."""
    keys.down = True
    cache = JwksCache(JWKS_URL, failure_cooldown=0)
    for _ in range(2):
        with pytest.raises(JwksUnavailable):
            cache.get("ec1")
    assert keys.fetches == 2
