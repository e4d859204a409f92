"""The Supabase Auth adapter against a fake GoTrue at the HTTP boundary."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import respx
from fastapi.testclient import TestClient

from tests.support.gotrue import FakeGoTrue
from tests.support.handlers import load_handler
from videogen.auth.deps import get_identity_provider

SUPABASE_URL = "https://ref.supabase.co"
PASSWORD = "correct-horse-42"


@pytest.fixture
def gotrue(configure: Callable[..., None], database_url: str) -> Iterator[FakeGoTrue]:
    configure(
        IDENTITY_BACKEND="supabase",
        SUPABASE_URL=SUPABASE_URL,
        SUPABASE_ANON_KEY="anon-key",
        SUPABASE_SERVICE_ROLE_KEY="service-role-key",
    )
    fake = FakeGoTrue(SUPABASE_URL, database_url)
    with respx.mock(assert_all_called=False) as router:
        fake.mount(router)
        yield fake


@pytest.fixture
def client(gotrue: FakeGoTrue) -> TestClient:
    return TestClient(load_handler("auth").app)


def register(client: TestClient, email: str = "ada@school.example", password: str = PASSWORD):
    return client.post(
        "/auth/register", json={"email": email, "password": password, "display_name": "Ada"}
    )


def error_code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_register_login_refresh_and_me(client: TestClient, gotrue: FakeGoTrue) -> None:
    response = register(client)
    assert response.status_code == 202, response.text
    assert response.json()["confirmation_required"] is False
    signup = gotrue.requests[0]
    assert signup.headers["apikey"] == "anon-key"
    assert signup.headers["authorization"] == "Bearer anon-key"

    login = client.post("/auth/login", json={"email": "ada@school.example", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    # the ES256 token is verified against the fake's JWKS; the trigger made the profile
    profile = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert profile["role"] == "student" and profile["display_name"] == "Ada"

    refreshed = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert refreshed.status_code == 200
    again = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert again.json()["refresh_token"] == refreshed.json()["refresh_token"]  # reuse interval
    gotrue.reuse_interval = 0
    late = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert error_code(late) == (401, "invalid_refresh_token")


def test_clients_do_not_share_sessions(client: TestClient, gotrue: FakeGoTrue) -> None:
    register(client, "ada@school.example")
    register(client, "bob@school.example")
    for email in ("ada@school.example", "bob@school.example"):
        client.post("/auth/login", json={"email": email, "password": PASSWORD})
    # every request to GoTrue carried the project key, never a signed-in user's token
    assert {r.headers["authorization"] for r in gotrue.requests} == {"Bearer anon-key"}


def test_confirmation_on_returns_no_session(client: TestClient, gotrue: FakeGoTrue) -> None:
    gotrue.confirm_email = True
    body = register(client).json()
    assert body["confirmation_required"] is True and "session" not in body
    login = client.post("/auth/login", json={"email": "ada@school.example", "password": PASSWORD})
    assert error_code(login) == (403, "email_not_confirmed")
    gotrue.confirm("ada@school.example")
    login = client.post("/auth/login", json={"email": "ada@school.example", "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize("confirm_email", [False, True])
def test_register_is_not_an_account_enumeration_oracle(
    client: TestClient, gotrue: FakeGoTrue, confirm_email: bool
) -> None:
    """Finding (issue 13): GoTrue's `user_already_exists` came back as 409 `email_taken`,
    telling anyone which emails have accounts."""
    gotrue.confirm_email = confirm_email
    first = register(client)
    if confirm_email:
        gotrue.confirm("ada@school.example")  # a confirmed account: GoTrue obfuscates it
    again = register(client, "ada@school.example", password="other-pass-99")
    fresh = register(client, "bob@school.example")
    assert first.status_code == again.status_code == fresh.status_code == 202
    assert first.json() == again.json() == fresh.json()
    assert first.json()["confirmation_required"] is confirm_email
    assert gotrue.users["ada@school.example"]["_password"] == PASSWORD  # unchanged


def test_weak_password_from_supabase_keeps_its_reasons(
    client: TestClient, gotrue: FakeGoTrue
) -> None:
    gotrue.reject_passwords.add(PASSWORD)
    response = register(client)
    assert error_code(response) == (422, "weak_password")
    assert response.json()["error"]["details"]["reasons"] == ["pwned"]


def test_wrong_credentials(client: TestClient) -> None:
    register(client)
    response = client.post(
        "/auth/login", json={"email": "ada@school.example", "password": "x1y2z3w4v"}
    )
    assert error_code(response) == (401, "invalid_credentials")


def test_policy_checked_before_calling_supabase(client: TestClient, gotrue: FakeGoTrue) -> None:
    assert error_code(register(client, password="short")) == (422, "weak_password")
    assert error_code(register(client, email="nope")) == (422, "invalid_email")
    assert gotrue.requests == []


def test_supabase_down_is_503_and_nothing_written(
    client: TestClient, gotrue: FakeGoTrue, db
) -> None:
    gotrue.down = True
    response = register(client)
    assert error_code(response) == (503, "identity_unavailable")
    assert response.headers["retry-after"] == "5"
    assert db.execute("select count(*) from public.profiles").fetchone()[0] == 0


def test_account_deletion_uses_the_admin_api_with_the_service_key(
    client: TestClient, gotrue: FakeGoTrue, db
) -> None:
    register(client)
    login = client.post("/auth/login", json={"email": "ada@school.example", "password": PASSWORD})
    token = login.json()["access_token"]
    generations = TestClient(load_handler("generations").app)
    response = generations.delete("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204, response.text
    delete = gotrue.requests[-1]
    assert delete.method == "DELETE" and delete.headers["apikey"] == "service-role-key"
    assert db.execute("select count(*) from public.profiles").fetchone() == (0,)
    # deleting again (a retried request) finds the user gone and still succeeds
    get_identity_provider().delete_user(login.json()["user"]["id"])


def test_captcha_token_is_passed_through_to_supabase_auth(
    client: TestClient, gotrue: FakeGoTrue
) -> None:
    """Issue 13, "Abuse limits": scripted registrations. With captcha protection on in the
    Supabase project, the client's hCaptcha/Turnstile answer reaches GoTrue, and a missing
    or wrong one is a clear 400 (GoTrue's `captcha_failed`)."""
    gotrue.captcha_tokens = {"solved-captcha"}
    credentials = {"email": "ada@school.example", "password": PASSWORD}
    missing = client.post("/auth/register", json={**credentials, "display_name": "Ada"})
    assert error_code(missing) == (400, "captcha_failed")
    wrong = client.post(
        "/auth/register", json={**credentials, "display_name": "Ada", "captcha_token": "bot"}
    )
    assert error_code(wrong) == (400, "captcha_failed")
    solved = client.post(
        "/auth/register",
        json={**credentials, "display_name": "Ada", "captcha_token": "solved-captcha"},
    )
    assert solved.status_code == 202, solved.text
    body = json.loads(gotrue.requests[-1].content)
    assert body["gotrue_meta_security"] == {"captcha_token": "solved-captcha"}

    assert error_code(client.post("/auth/login", json=credentials)) == (400, "captcha_failed")
    login = client.post("/auth/login", json={**credentials, "captcha_token": "solved-captcha"})
    assert login.status_code == 200, login.text
    body = json.loads(gotrue.requests[-1].content)
    assert body["gotrue_meta_security"] == {"captcha_token": "solved-captcha"}


def test_empty_captcha_token_is_a_validation_error(client: TestClient, gotrue: FakeGoTrue) -> None:
    response = client.post(
        "/auth/login",
        json={"email": "ada@school.example", "password": PASSWORD, "captcha_token": ""},
    )
    assert response.status_code == 422
    assert not gotrue.requests
