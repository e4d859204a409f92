"""Browser tests: Debian's Chromium, driven by Playwright, against the local stack.

The stack runs in-process as `make run` serves it (uvicorn in a thread, the embedded
Postgres of tests/conftest.py, the fal simulator). Every page records dialogs, script
errors and console errors (a CSP violation is one); any of them fails the test.
Screenshots go to test-artifacts/web/; with UPDATE_SCREENSHOTS=1 also to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.local_server import local_stack
from tests.support.users import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "web"
SCREENSHOTS = ROOT / "docs" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test that opens the browser `browser` (`-m "not browser"` skips them)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per run (Playwright gives it a fresh temporary profile)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stack(configure: Callable[..., None]) -> Iterator[str]:
    """The local stack on a free port; its base URL."""
    with local_stack(configure, simulator_delay=0.5) as base:
        yield base


@dataclass
class Ui:
    """One browser tab on the client, with the steps the tests share."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, route: str) -> None:
        self.page.goto(f"{self.base}/#{route}")

    def heading(self, text: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def register(self, name: str, email: str, password: str = PASSWORD) -> None:
        self.open("/register")
        self.heading("Create an account")
        self.page.get_by_label("Display name").fill(name)
        self.page.get_by_label("Email", exact=True).fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Create account").click()
        self.heading("Create a video")

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.heading("Sign in")
        self.page.get_by_label("Email", exact=True).fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_label("Password", exact=True).press("Enter")
        self.heading("Create a video")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.heading("Sign in")
        expect(self.page.get_by_role("status")).to_have_text("You are signed out.")

    def create_video(self, prompt: str, model: str | None = None) -> None:
        self.open("/generate")
        self.heading("Create a video")
        if model:
            self.page.get_by_label("Model").select_option(label=model)
        self.page.get_by_label("Prompt", exact=True).fill(prompt)
        self.page.get_by_role("button", name="Create video").click()
        self.heading("My videos")

    def job_card(self, prompt: str):  # type: ignore[no-untyped-def]
        return self.page.locator("article.job").filter(
            has=self.page.get_by_role("heading", name=prompt, exact=True)
        )

    def shot(self, name: str, *, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        image = self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS / f"{name}.png").write_bytes(image)

    def unlabelled_controls(self) -> list[str]:
        """Inputs, selects and textareas on the page without an accessible label."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter((el) => el.type !== 'hidden')
                 .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map((el) => el.outerHTML)"""
        )


@pytest.fixture
def open_ui(browser: Browser, stack: str) -> Iterator[Callable[..., Ui]]:
    """Opens a fresh browser context (its own sessionStorage) per call: one per user."""
    contexts = []
    uis: list[Ui] = []

    def make(width: int = 1280, height: int = 900) -> Ui:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        ui = Ui(page, stack)

        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            ui.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: ui.errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                ui.errors.append(f"console: {message.text}")
                if message.type == "error" and not _expected_console_error(message.text)
                else None
            ),
        )
        uis.append(ui)
        return ui

    yield make
    for context in contexts:
        context.close()
    for ui in uis:
        assert ui.dialogs == [], f"a dialog opened (script injection?): {ui.dialogs}"
        assert ui.errors == [], f"errors in the page: {ui.errors}"


def _expected_console_error(text: str) -> bool:
    """Chromium logs each non-2xx fetch as a console error; the tests provoke some on purpose."""
    return bool(re.search(r"Failed to load resource: the server responded with a status of", text))
