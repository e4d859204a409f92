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


# --- Supabase Auth's email refusals (issue 14, "Supabase Auth email") ------------------------


def test_builtin_mailer_refusing_the_address_is_a_clear_error_and_creates_nothing(
    client: TestClient, gotrue: FakeGoTrue, db, caplog: pytest.LogCaptureFixture
) -> None:
    """Hosted Supabase with confirmation on and no custom SMTP: the built-in mailer sends
    only to the project's team. Was a generic 400 `identity_error`."""
    gotrue.confirm_email = True
    gotrue.authorized_addresses = {"owner@school.example"}
    with caplog.at_level("WARNING", logger="videogen.auth.supabase_identity"):
        response = register(client, "ada@school.example")
    assert error_code(response) == (503, "email_delivery_not_configured")
    assert "retry-after" not in response.headers  # waiting does not help; an operator must act
    assert "administrator" in response.json()["error"]["message"]
    assert gotrue.users == {} and gotrue.emails_sent == []
    assert db.execute("select count(*) from public.profiles").fetchone() == (0,)
    warning = next(r for r in caplog.records if getattr(r, "gotrue_code", None))
    assert warning.gotrue_code == "email_address_not_authorized"
    assert "ada@school.example" not in warning.getMessage()
    # a team member's address (a +label too) is sent to
    assert register(client, "owner+test@school.example").status_code == 202


def test_confirmation_off_needs_no_mailer(client: TestClient, gotrue: FakeGoTrue) -> None:
    """The other way out of the built-in mailer's limits (docs/deploy.md): confirmation off,
    GoTrue autoconfirms and sends nothing, so any address can join."""
    gotrue.authorized_addresses = {"owner@school.example"}
    gotrue.emails_per_hour = 0
    response = register(client, "ada@school.example")
    assert response.status_code == 202 and response.json()["confirmation_required"] is False
    assert gotrue.emails_sent == []


def test_email_budget_spent_is_429_email_rate_limited(
    client: TestClient, gotrue: FakeGoTrue
) -> None:
    gotrue.confirm_email = True
    gotrue.emails_per_hour = 2  # the built-in mailer's budget
    assert register(client, "ada@school.example").status_code == 202
    assert register(client, "bob@school.example").status_code == 202
    response = register(client, "eve@school.example")
    assert error_code(response) == (429, "email_rate_limited")
    assert "eve@school.example" not in gotrue.users


def test_repeated_unconfirmed_signup_within_the_resend_interval_answers_like_a_new_one(
    client: TestClient, gotrue: FakeGoTrue
) -> None:
    """GoTrue re-sends the confirmation of an unconfirmed email and refuses within 60 s
    with 429: passed on, that would tell anyone the email is registered."""
    gotrue.confirm_email = True
    first = register(client, "ada@school.example")
    again = register(client, "ada@school.example", password="other-pass-99")
    fresh = register(client, "bob@school.example")
    assert first.status_code == again.status_code == fresh.status_code == 202
    assert again.json() == fresh.json() and fresh.json()["confirmation_required"] is True
    assert [to for _, to in gotrue.emails_sent] == ["ada@school.example", "bob@school.example"]


def test_failing_smtp_is_503_email_delivery_failed(client: TestClient, gotrue: FakeGoTrue) -> None:
    gotrue.confirm_email = True
    gotrue.smtp_failing = True
    response = register(client)
    assert error_code(response) == (503, "email_delivery_failed")
    assert response.headers["retry-after"] == "5"
    assert gotrue.users == {}


@pytest.mark.parametrize(
    ("setting", "route", "expected"),
    [
        ("signups_disabled", "register", (403, "signup_disabled")),
        ("email_provider_disabled", "register", (403, "email_sign_in_disabled")),
        ("email_provider_disabled", "login", (403, "email_sign_in_disabled")),
        ("banned", "login", (403, "user_banned")),
        ("over_request_rate_limit", "register", (429, "rate_limited")),
        ("over_request_rate_limit", "login", (429, "rate_limited")),
    ],
)
def test_project_settings_refusals_have_their_own_codes(
    client: TestClient, gotrue: FakeGoTrue, setting: str, route: str, expected: tuple[int, str]
) -> None:
    """Each was a generic 400 `identity_error` (or a wrong `signup_disabled` on sign-in)."""
    if route == "login":
        assert register(client).status_code == 202
    if setting == "email_provider_disabled":
        gotrue.email_provider_enabled = False
    elif setting == "banned":
        gotrue.banned.add("ada@school.example")
    else:
        setattr(gotrue, setting, True)
    if route == "register":
        response = register(client)
    else:
        response = client.post(
            "/auth/login", json={"email": "ada@school.example", "password": PASSWORD}
        )
    assert error_code(response) == expected
    assert response.json()["error"]["message"]
