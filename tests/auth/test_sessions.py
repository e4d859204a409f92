"""Signing out (POST /auth/logout): the session's refresh tokens are revoked, and its access
token can no longer spend money or change data, on the local store and on Supabase Auth."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import respx
from fastapi.testclient import TestClient

from tests.support.gotrue import FakeGoTrue
from tests.support.handlers import load_handler
from tests.support.users import PASSWORD

SUPABASE_URL = "https://ref.supabase.co"


def sign_in(auth: TestClient, email: str) -> dict:
    response = auth.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def error_code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_signed_out_session_cannot_spend_or_change_data(
    make_user, generations: TestClient, db
) -> None:
    """Finding (issue 13): there was no sign-out; a token taken from a signed-out browser
    kept submitting, retrying, cancelling and deleting until it expired."""
    auth = TestClient(load_handler("auth").app)
    user = make_user()
    gone, kept = sign_in(auth, user.email), sign_in(auth, user.email)

    assert auth.post("/auth/logout", headers=bearer(gone)).status_code == 204
    refresh = auth.post("/auth/refresh", json={"refresh_token": gone["refresh_token"]})
    assert error_code(refresh) == (401, "invalid_refresh_token")
    job_id = uuid.uuid4()
    refused = [
        generations.post(
            "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=bearer(gone)
        ),
        generations.post(f"/generations/{job_id}/retry", headers=bearer(gone)),
        generations.post(f"/generations/{job_id}/cancel", headers=bearer(gone)),
        generations.delete("/me", headers=bearer(gone)),
    ]
    for response in refused:
        assert error_code(response) == (401, "session_revoked"), response.text
        assert response.headers["www-authenticate"] == "Bearer"
    # reading stays possible until the token expires; the other session is untouched
    assert auth.get("/me", headers=bearer(gone)).status_code == 200
    submitted = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=bearer(kept)
    )
    assert submitted.status_code == 201, submitted.text
    assert auth.post("/auth/refresh", json={"refresh_token": kept["refresh_token"]}).is_success
    assert db.execute("select user_id from public.revoked_sessions").fetchall() == [(user.id,)]


def submit(generations: TestClient, session: dict):  # type: ignore[no-untyped-def]
    return generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=bearer(session)
    )


def test_session_ended_by_refresh_token_reuse_cannot_spend(
    make_user, generations: TestClient, configure: Callable[..., None]
) -> None:
    """Security review, sessions: a session that reuse detection ended (a rotated refresh
    token came back late: it may be stolen) kept its access token able to spend until `exp`."""
    configure(REFRESH_TOKEN_REUSE_INTERVAL_SECONDS="0")
    auth = TestClient(load_handler("auth").app)
    user = make_user()
    stolen, other = sign_in(auth, user.email), sign_in(auth, user.email)
    rotated = auth.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    assert submit(generations, rotated.json()).status_code == 201

    reused = auth.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert error_code(reused) == (401, "invalid_refresh_token")
    for session in (stolen, rotated.json()):
        assert error_code(submit(generations, session)) == (401, "session_revoked")
    assert submit(generations, other).status_code == 201  # another session is untouched


def test_signed_out_admin_cannot_change_users(make_user) -> None:
    auth, admin_app = TestClient(load_handler("auth").app), TestClient(load_handler("admin").app)
    admin, student = make_user("admin"), make_user()
    session = sign_in(auth, admin.email)
    assert auth.post("/auth/logout", headers=bearer(session)).status_code == 204
    patch = admin_app.patch(
        f"/admin/users/{student.id}", json={"video_cap_override": 50}, headers=bearer(session)
    )
    assert error_code(patch) == (401, "session_revoked")


def test_logout_twice_succeeds_and_needs_a_token(make_user, db) -> None:
    auth = TestClient(load_handler("auth").app)
    session = sign_in(auth, make_user().email)
    assert auth.post("/auth/logout", headers=bearer(session)).status_code == 204
    assert auth.post("/auth/logout", headers=bearer(session)).status_code == 204
    assert error_code(auth.post("/auth/logout")) == (401, "missing_token")
    assert db.execute("select count(*) from public.revoked_sessions").fetchone() == (1,)


def test_logout_purges_records_of_expired_tokens(make_user, db) -> None:
    old = uuid.uuid4()
    db.execute(
        """insert into public.revoked_sessions (session_id, user_id, expires_at)
           values (%s, %s, now() - interval '1 second')""",
        (old, uuid.uuid4()),
    )
    auth = TestClient(load_handler("auth").app)
    session = sign_in(auth, make_user().email)
    assert auth.post("/auth/logout", headers=bearer(session)).status_code == 204
    ids = [r[0] for r in db.execute("select session_id from public.revoked_sessions")]
    assert old not in ids and len(ids) == 1


def test_the_data_api_roles_cannot_read_revoked_sessions(db) -> None:
    for role in ("anon", "authenticated"):
        assert db.execute(
            "select has_table_privilege(%s, 'public.revoked_sessions', 'select')", (role,)
        ).fetchone() == (False,)
    assert db.execute(
        "select relrowsecurity from pg_class where oid = 'public.revoked_sessions'::regclass"
    ).fetchone() == (True,)


# --- Supabase Auth --------------------------------------------------------------------------


@pytest.fixture
def gotrue(configure: Callable[..., None], database_url: str, fal) -> Iterator[FakeGoTrue]:
    configure(
        IDENTITY_BACKEND="supabase",
        SUPABASE_URL=SUPABASE_URL,
        SUPABASE_ANON_KEY="anon-key",
        SUPABASE_SERVICE_ROLE_KEY="service-role-key",
    )
    fake = FakeGoTrue(SUPABASE_URL, database_url)
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the fake fal server
        fake.mount(router)
        yield fake


def test_supabase_logout_ends_the_session_at_gotrue(gotrue: FakeGoTrue) -> None:
    auth = TestClient(load_handler("auth").app)
    auth.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    )
    gone, kept = sign_in(auth, "ada@school.example"), sign_in(auth, "ada@school.example")

    assert auth.post("/auth/logout", headers=bearer(gone)).status_code == 204
    logout = gotrue.requests[-1]
    assert logout.url.path == "/auth/v1/logout" and logout.url.params["scope"] == "local"
    assert logout.headers["authorization"] == f"Bearer {gone['access_token']}"
    assert logout.headers["apikey"] == "anon-key"
    refresh = auth.post("/auth/refresh", json={"refresh_token": gone["refresh_token"]})
    assert error_code(refresh) == (401, "invalid_refresh_token")
    assert auth.post("/auth/refresh", json={"refresh_token": kept["refresh_token"]}).is_success

    generations = TestClient(load_handler("generations").app)
    submit = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=bearer(gone)
    )
    assert error_code(submit) == (401, "session_revoked")
    # GoTrue answers 403 session_not_found for a session it already ended: still signed out
    assert auth.post("/auth/logout", headers=bearer(gone)).status_code == 204
    assert gotrue.requests[-1].url.path == "/auth/v1/logout"


def test_supabase_session_ended_by_refresh_token_reuse_cannot_spend(gotrue: FakeGoTrue) -> None:
    """GoTrue deletes a session whose rotated refresh token comes back after the reuse
    interval; its access tokens are refused on spending routes from then on."""
    auth = TestClient(load_handler("auth").app)
    generations = TestClient(load_handler("generations").app)
    auth.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    )
    stolen, other = sign_in(auth, "ada@school.example"), sign_in(auth, "ada@school.example")
    rotated = auth.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).json()
    again = auth.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert again.json()["refresh_token"] == rotated["refresh_token"]  # within the interval
    assert submit(generations, rotated).status_code == 201

    gotrue.reuse_interval = 0
    reused = auth.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert error_code(reused) == (401, "invalid_refresh_token")
    assert error_code(submit(generations, rotated)) == (401, "session_revoked")
    assert submit(generations, other).status_code == 201


def test_token_of_a_session_the_identity_service_never_held_cannot_spend(
    gotrue: FakeGoTrue, generations: TestClient
) -> None:
    """A well-signed token naming a session that is not in `auth.sessions` (ended by an
    admin, by a sign-out elsewhere, or never there) is refused like a signed-out one."""
    auth = TestClient(load_handler("auth").app)
    auth.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    )
    signed_in = sign_in(auth, "ada@school.example")
    user = gotrue.users["ada@school.example"]
    forged_session = {"access_token": gotrue.access_token(user)}  # a random session_id
    assert error_code(submit(generations, forged_session)) == (401, "session_revoked")
    assert submit(generations, signed_in).status_code == 201


def test_supabase_down_at_logout_still_refuses_the_token(gotrue: FakeGoTrue) -> None:
    auth = TestClient(load_handler("auth").app)
    auth.post(
        "/auth/register",
        json={"email": "ada@school.example", "password": PASSWORD, "display_name": "Ada"},
    )
    session = sign_in(auth, "ada@school.example")
    gotrue.down = True
    assert error_code(auth.post("/auth/logout", headers=bearer(session))) == (
        503,
        "identity_unavailable",
    )
    generations = TestClient(load_handler("generations").app)
    submit = generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "x"}, headers=bearer(session)
    )
    assert error_code(submit) == (401, "session_revoked")
