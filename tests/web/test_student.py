"""A student in the browser: register, sign in, ask for a video, watch it, keep it private."""

from __future__ import annotations

import time

import httpx
import jwt
from playwright.sync_api import expect

from tests.conftest import TEST_JWT_SECRET
from tests.web.conftest import XSS


def test_register_sign_in_submit_and_the_video_plays(open_ui) -> None:
    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    ui.sign_out()
    ui.sign_in("ada@school.example")
    expect(ui.page.get_by_role("navigation", name="Main")).to_contain_text("My videos")

    # The model picker comes from GET /models, each model with its own settings.
    picker = ui.page.get_by_label("Model")
    expect(picker.locator("option")).to_have_count(5)
    # Veo 3.1: fal's resolutions, 4k priced higher; its safety settings are not offered.
    picker.select_option(label="Veo 3.1")
    expect(ui.page.get_by_label("Resolution").locator("option")).to_have_text(
        ["720p", "1080p", "4k"]
    )
    expect(ui.page.locator("#estimated-cost")).to_contain_text("$1.60")
    expect(ui.page.get_by_label("Safety Tolerance")).to_have_count(0)
    ui.page.get_by_label("Resolution").select_option("4k")
    expect(ui.page.locator("#estimated-cost")).to_contain_text("$3.20 for these settings")
    picker.select_option(label="Kling 2.1 Master")
    expect(ui.page.get_by_label("Duration")).to_have_value("5")
    expect(ui.page.locator("#estimated-cost")).to_contain_text("$1.40")
    # the API prices the chosen settings: 10 s of Kling costs more than 5 s
    ui.page.get_by_label("Duration").select_option("10")
    expect(ui.page.locator("#estimated-cost")).to_contain_text("$2.80 for these settings")
    picker.select_option(label="LTX Video")
    expect(ui.page.get_by_label("Num Inference Steps")).to_have_value("30")
    expect(ui.page.locator("#estimated-cost")).to_contain_text("$0.02")
    expect(ui.page.locator("#allowance")).to_contain_text(
        "Left today: 5 of 5 videos and no limit on money"
    )
    assert ui.unlabelled_controls() == []
    ui.shot("generate")

    ui.page.evaluate("window.__noReload = true")
    ui.page.get_by_label("Num Inference Steps").fill("12")
    ui.create_video("a volcano erupting, drawn in chalk")
    card = ui.job_card("a volcano erupting, drawn in chalk")
    expect(card).to_have_count(1)
    # The status updates itself (polling), without a reload of the page.
    expect(card.locator(".status")).to_have_text("Ready", timeout=15_000)
    assert ui.page.evaluate("window.__noReload") is True
    expect(card).not_to_contain_text("null")
    expect(ui.page.get_by_role("button", name="Load more")).to_be_hidden()
    expect(ui.page.locator("#announcer")).to_contain_text("Ready: a volcano")

    video = card.locator("video")
    expect(video).to_have_count(1)
    played = video.evaluate(
        """async (v) => {
             v.muted = true;
             await v.play();
             await new Promise((done) => setTimeout(done, 600));
             return {time: v.currentTime, width: v.videoWidth, error: v.error && v.error.code};
           }"""
    )
    assert played["error"] is None and played["width"] > 0 and played["time"] > 0, played

    # Every job is final: the page stops asking for updates.
    polls: list[str] = []
    ui.page.on("request", lambda r: polls.append(r.url) if "/generations?" in r.url else None)
    ui.page.wait_for_timeout(3000)
    assert polls == []

    download = card.get_by_role("link", name="Download")
    href = download.get_attribute("href")
    assert href is not None and "X-Amz-Signature=" in href  # presigned by the S3 server
    response = ui.page.request.get(href)
    assert response.status == 200 and response.body()[4:8] == b"ftyp"

    ui.open("/generate")
    expect(ui.page.locator("#allowance")).to_contain_text(
        "Left today: 4 of 5 videos and no limit on money"
    )
    ui.open("/videos")
    expect(card.locator(".status")).to_have_text("Ready")
    ui.shot("videos")


def test_failed_video_can_be_retried_and_a_queued_one_cancelled(open_ui) -> None:
    ui = open_ui()
    ui.register("Grace", "grace@school.example")
    ui.create_video("[fail] a storm at sea")
    failed = ui.job_card("[fail] a storm at sea")
    expect(failed.locator(".status")).to_have_text("Failed", timeout=15_000)
    expect(failed.locator(".job-error")).to_be_visible()

    failed.get_by_role("button", name="Retry").click()
    expect(ui.page.locator("article.job")).to_have_count(2)
    retried = ui.page.locator("article.job").first
    expect(retried.locator(".status")).to_have_text("Failed", timeout=15_000)

    ui.create_video("a slow sunrise over the hills")
    fresh = ui.job_card("a slow sunrise over the hills")
    fresh.get_by_role("button", name="Cancel").click()
    expect(fresh.locator(".status")).to_have_text("Cancelled")
    expect(fresh.get_by_role("button", name="Retry")).to_be_visible()


def test_a_second_user_cannot_see_the_first_users_video(open_ui) -> None:
    first = open_ui()
    first.register("Ada", "ada@school.example")
    prompt = f"secret project {XSS}"
    first.create_video(prompt)
    card = first.job_card(prompt)
    expect(card.locator(".status")).to_have_text("Ready", timeout=15_000)
    # The prompt is shown as text: the markup is visible literally, nothing is injected.
    expect(card.get_by_role("heading")).to_have_text(prompt)
    assert first.page.locator("article.job img").count() == 0
    video_url = card.locator("video").get_attribute("src")

    second = open_ui()
    second.register("Brian", "brian@school.example")
    second.open("/videos")
    second.heading("My videos")
    expect(second.page.get_by_text("No videos yet.")).to_be_visible()
    expect(second.page.locator("article.job")).to_have_count(0)
    expect(second.page.get_by_text("secret project")).to_have_count(0)

    # Not by id either: the API answers 404 to the second user.
    job_id = card.get_attribute("data-job-id")
    token = second.page.evaluate(
        "JSON.parse(sessionStorage.getItem('videogen.session')).access_token"
    )
    answer = second.page.request.get(
        f"{second.base}/generations/{job_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 404
    assert video_url  # the first user's signed URL works only for who holds it
    second.shot("videos-empty")


def test_an_expired_access_token_is_refreshed_without_signing_out(open_ui) -> None:
    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    session = ui.page.evaluate("JSON.parse(sessionStorage.getItem('videogen.session'))")
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 120, exp=int(time.time()) - 60)
    expired = jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")
    ui.page.evaluate(
        """(token) => {
             const s = JSON.parse(sessionStorage.getItem('videogen.session'));
             s.access_token = token;
             sessionStorage.setItem('videogen.session', JSON.stringify(s));
           }""",
        expired,
    )
    ui.page.reload()
    ui.heading("Create a video")
    expect(ui.page.get_by_role("button", name="Sign out")).to_be_visible()
    fresh = ui.page.evaluate("JSON.parse(sessionStorage.getItem('videogen.session'))")
    assert fresh["access_token"] != expired
    assert fresh["refresh_token"] != session["refresh_token"]  # rotated


def test_keyboard_only_sign_in_and_pages_are_labelled(open_ui) -> None:
    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    ui.sign_out()
    assert ui.unlabelled_controls() == []
    ui.shot("login")
    # A page change moves focus to its heading; the next Tab reaches the form.
    expect(ui.page.get_by_role("heading", level=1)).to_be_focused()
    ui.page.keyboard.press("Tab")
    expect(ui.page.get_by_label("Email", exact=True)).to_be_focused()
    ui.page.keyboard.type("ada@school.example")
    ui.page.keyboard.press("Tab")
    ui.page.keyboard.type("wrong-password-1")
    ui.page.keyboard.press("Enter")
    expect(ui.page.get_by_role("alert")).to_have_text("The email or password is not right.")
    ui.page.get_by_label("Password", exact=True).fill("correct-horse-42")
    ui.page.keyboard.press("Enter")
    ui.heading("Create a video")

    # The skip link (first in the page) shows when focused and jumps to the content.
    skip = ui.page.get_by_role("link", name="Skip to content")
    skip.focus()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    hash_before = ui.page.evaluate("location.hash")
    ui.page.keyboard.press("Enter")
    expect(ui.page.locator("main")).to_be_focused()
    assert ui.page.evaluate("location.hash") == hash_before

    ui.page.get_by_role("button", name="Sign out").click()
    ui.open("/register")
    assert ui.unlabelled_controls() == []
    ui.shot("register")


def test_layout_fits_a_phone(open_ui) -> None:
    ui = open_ui(width=390, height=844)
    ui.register("Ada", "ada@school.example")
    overflow = ui.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    ui.shot("generate-phone")


def test_registering_a_taken_email_sends_to_sign_in_without_changing_the_account(
    open_ui,
) -> None:
    """Finding (issue 13): /auth/register told who had an account (409 email_taken); it now
    answers the same for every email, and the client learns only by trying to sign in."""
    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    ui.sign_out()
    ui.open("/register")
    ui.page.get_by_label("Display name").fill("Mallory")
    ui.page.get_by_label("Email", exact=True).fill("ada@school.example")
    ui.page.get_by_label("Password", exact=True).fill("other-pass-99")
    ui.page.get_by_role("button", name="Create account").click()
    ui.heading("Sign in")
    expect(ui.page.get_by_role("status")).to_have_text(
        "This email already has an account: sign in with its password."
    )
    ui.sign_in("ada@school.example")  # the original password still works
    expect(ui.page.locator(".who")).to_contain_text("Ada")


def test_sign_out_revokes_the_session_on_the_server(open_ui) -> None:
    """Finding (issue 13): "Sign out" only forgot the tokens in the tab; a copy of them kept
    working. The client now calls POST /auth/logout."""
    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    session = ui.page.evaluate("JSON.parse(sessionStorage.getItem('videogen.session'))")
    ui.sign_out()
    assert ui.page.evaluate("sessionStorage.getItem('videogen.session')") is None
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    submit = httpx.post(
        f"{ui.base}/generations",
        json={"model": "fal-ai/ltx-video", "prompt": "a comet"},
        headers=headers,
    )
    assert submit.status_code == 401 and submit.json()["error"]["code"] == "session_revoked"
    refresh = httpx.post(
        f"{ui.base}/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refresh.status_code == 401


def test_a_video_deleted_by_the_schools_retention_says_so(open_ui, db, s3) -> None:
    """Issue 15: the job stays in "My videos" after retention deleted its video, and says
    after how many days, in text a screen reader reads; the page passes axe-core."""
    from tests.support.axe import axe_violations
    from tests.support.handlers import load_handler
    from tests.support.videos import make_school, make_video

    ui = open_ui()
    ui.register("Ada", "ada@school.example")
    (user_id,) = db.execute(
        "select id from auth.users where email = 'ada@school.example'"
    ).fetchone()
    school = make_school(db, retention_days=30)
    make_video(db, s3, school, age_days=31, user_id=user_id)
    load_handler("retention").handler({"source": "aws.events"}, None)

    ui.open("/videos")
    card = ui.job_card("tides")
    expect(card.locator(".video-deleted")).to_contain_text(
        "Video deleted after 30 days, as your school keeps videos"
    )
    expect(card.locator("video")).to_have_count(0)
    expect(card.get_by_role("link", name="Download")).to_have_count(0)
    assert axe_violations(ui.page) == []
