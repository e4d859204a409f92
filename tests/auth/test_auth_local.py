"""Registration and sign-in end to end on the local identity store and a real Postgres."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.support.handlers import load_handler

PASSWORD = "correct-horse-42"


@pytest.fixture
def client() -> TestClient:
    return TestClient(load_handler("auth").app)


def register(client: TestClient, email: str = "ada@school.example", **overrides: str):
    body = {"email": email, "password": PASSWORD, "display_name": "Ada", **overrides}
    return client.post("/auth/register", json=body)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


def sign_in(client: TestClient, email: str = "ada@school.example") -> dict:
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def test_register_creates_account_and_profile_then_sign_in(client: TestClient, db) -> None:
    response = register(client, email="  Ada@School.example ")
    assert response.status_code == 202, response.text
    assert response.json() == {
        "status": "accepted",
        "confirmation_required": False,
        "message": "If this email is new, its account is ready: sign in with your password.",
    }
    session = sign_in(client)
    assert session["user"]["email"] == "ada@school.example"
    token = session["access_token"]

    me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile == {
        "id": session["user"]["id"],
        "email": "ada@school.example",
        "display_name": "Ada",
        "role": "student",
        "daily_video_cap": 5,
        "daily_money_cap": None,
        "created_at": profile["created_at"],
    }
    stored = db.execute(
        "select encrypted_password from auth.users where email = 'ada@school.example'"
    ).fetchone()
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]


def test_login_and_refresh_rotate_tokens(client: TestClient) -> None:
    register(client)
    login = client.post("/auth/login", json={"email": "ADA@school.example", "password": PASSWORD})
    assert login.status_code == 200, login.text
    first = login.json()
    assert first["token_type"] == "bearer" and first["expires_in"] == 3600

    refreshed = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(
        "/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    ).is_success


def refresh_all_at_once(token: str, count: int = 4) -> list:
    """`count` refreshes with one token at the same moment (tabs, retries), each its own client."""
    clients = [TestClient(load_handler("auth").app) for _ in range(count)]
    start = threading.Barrier(count)

    def refresh(client: TestClient):
        start.wait()
        return client.post("/auth/refresh", json={"refresh_token": token})

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(refresh, clients))


def test_concurrent_refreshes_with_one_token_do_not_sign_the_user_out(client: TestClient) -> None:
    """Finding (issue 13): two refreshes with one token (two tabs, a retry) ended the session.
    Within the reuse interval every one of them gets the same child session."""
    register(client)
    session = sign_in(client)
    answers = refresh_all_at_once(session["refresh_token"])
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    children = {a.json()["refresh_token"] for a in answers}
    assert len(children) == 1 and session["refresh_token"] not in children
    for answer in answers:
        me = client.get("/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
        assert me.is_success
    # the child is live: it rotates once more, and the session goes on
    (child,) = children
    assert client.post("/auth/refresh", json={"refresh_token": child}).status_code == 200


def test_reuse_within_the_interval_returns_the_current_token_after_further_rotations(
    client: TestClient,
) -> None:
    register(client)
    first = sign_in(client)["refresh_token"]
    second = client.post("/auth/refresh", json={"refresh_token": first}).json()["refresh_token"]
    third = client.post("/auth/refresh", json={"refresh_token": second}).json()["refresh_token"]
    again = client.post("/auth/refresh", json={"refresh_token": first})
    assert again.status_code == 200 and again.json()["refresh_token"] == third


def test_reused_refresh_token_after_the_interval_ends_the_session(client: TestClient, db) -> None:
    register(client)
    session = sign_in(client)
    rotated = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).json()
    # the rotation happened longer ago than the reuse interval (10 s)
    db.execute(
        "update auth.refresh_tokens set updated_at = updated_at - interval '11 seconds'"
        " where revoked"
    )
    for reuse in refresh_all_at_once(session["refresh_token"]):
        assert_error(reuse, 401, "invalid_refresh_token")
    # the token minted by the rotation died with its session
    after = client.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert_error(after, 401, "invalid_refresh_token")
    assert db.execute("select count(*) from auth.sessions").fetchone() == (0,)


def test_refresh_token_expires_when_unused_for_its_lifetime(client: TestClient, db) -> None:
    """Finding (issue 13): local refresh tokens never expired."""
    register(client)
    session = sign_in(client)
    db.execute("update auth.refresh_tokens set created_at = now() - interval '30 days 1 second'")
    expired = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert_error(expired, 401, "invalid_refresh_token")


def test_unknown_refresh_token(client: TestClient) -> None:
    assert_error(
        client.post("/auth/refresh", json={"refresh_token": "nope"}), 401, "invalid_refresh_token"
    )


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@school.example", "a b@c.example"])
def test_register_rejects_invalid_email(client: TestClient, email: str) -> None:
    assert_error(register(client, email=email), 422, "invalid_email")


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        ("abc1", ["length"]),
        ("onlyletters", ["characters"]),
        ("12345678901", ["characters"]),
        ("short", ["length", "characters"]),
        ("a1" * 40, ["length"]),
    ],
)
def test_register_rejects_weak_password_saying_why(
    client: TestClient, password: str, reasons: list[str]
) -> None:
    error = assert_error(register(client, password=password), 422, "weak_password")
    assert error["details"]["reasons"] == reasons


@pytest.mark.parametrize("autoconfirm", ["true", "false"])
def test_register_is_not_an_account_enumeration_oracle(
    configure: Callable[..., None], db, autoconfirm: str
) -> None:
    """Finding (issue 13): /auth/register answered 409 `email_taken` for a registered email
    (case variants too), telling anyone which emails have accounts."""
    configure(LOCAL_AUTH_AUTOCONFIRM=autoconfirm)
    client = TestClient(load_handler("auth").app)
    first = register(client)
    if autoconfirm == "false":
        db.execute("update auth.users set email_confirmed_at = now()")  # a confirmed account
    again = register(client, email="ADA@school.example", password="other-pass-99", display_name="X")
    fresh = register(client, email="bob@school.example")
    assert first.status_code == again.status_code == fresh.status_code == 202
    assert first.json() == again.json() == fresh.json()
    assert first.json()["confirmation_required"] is (autoconfirm == "false")
    # the existing account is unchanged: its password and name stay, the new one gets in
    rows = db.execute("select email, display_name from public.profiles order by email").fetchall()
    assert rows == [("ada@school.example", "Ada"), ("bob@school.example", "Ada")]
    assert sign_in(client)["user"]["email"] == "ada@school.example"
    other = client.post(
        "/auth/login", json={"email": "ada@school.example", "password": "other-pass-99"}
    )
    assert_error(other, 401, "invalid_credentials")


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient) -> None:
    register(client)
    wrong = client.post(
        "/auth/login", json={"email": "ada@school.example", "password": "x1x1x1x1x"}
    )
    unknown = client.post("/auth/login", json={"email": "bob@school.example", "password": PASSWORD})
    malformed = client.post("/auth/login", json={"email": "bob", "password": PASSWORD})
    for response in (wrong, unknown, malformed):
        assert (
            assert_error(response, 401, "invalid_credentials")["message"]
            == "Wrong email or password."
        )


def test_unconfirmed_email_cannot_sign_in(
    client: TestClient, configure: Callable[..., None]
) -> None:
    configure(LOCAL_AUTH_AUTOCONFIRM="false")
    client = TestClient(load_handler("auth").app)
    body = register(client).json()
    assert body["confirmation_required"] is True and "session" not in body
    login = client.post("/auth/login", json={"email": "ada@school.example", "password": PASSWORD})
    assert_error(login, 403, "email_not_confirmed")


def test_malformed_json_is_422_in_the_error_shape(client: TestClient) -> None:
    response = client.post(
        "/auth/register",
        content=b'{"email": "a@b.example",',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 422, "malformed_json")


def test_missing_and_unknown_fields_are_named(client: TestClient) -> None:
    response = client.post(
        "/auth/register",
        json={"email": "ada@school.example", "role": "admin", "password": PASSWORD},
    )
    error = assert_error(response, 422, "validation_error")
    fields = {f["field"] for f in error["details"]["fields"]}
    assert fields == {"display_name", "role"}
    assert "display_name" in error["message"]


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not_found")


def test_local_identity_accepts_and_ignores_a_captcha_token(client: TestClient) -> None:
    """The web client may send a captcha answer to any deployment; the local stack has no
    captcha provider, so the field is accepted (not an unknown-field 422) and ignored."""
    assert register(client, captcha_token="any-answer").status_code == 202
    login = client.post(
        "/auth/login",
        json={"email": "ada@school.example", "password": PASSWORD, "captcha_token": "x"},
    )
    assert login.status_code == 200, login.text
