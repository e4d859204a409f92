"""How the local stack serves web/: at `/`, with its headers, without changing API answers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import ROOT
from videogen.local.app import build_local_app


def test_client_is_served_at_the_root_and_api_answers_are_unchanged() -> None:
    client = TestClient(build_local_app(ROOT))

    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/app.js">' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp

    module = client.get("/js/app.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    assert module.headers["x-content-type-options"] == "nosniff"
    assert client.get("/config.js").status_code == 200
    assert client.get("/css/app.css").headers["content-type"].startswith("text/css")

    # API routes win, and unknown paths keep the API's error shape.
    assert client.get("/models").json()[0]["key"] == "fal-ai/ltx-video"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = client.get("/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert client.get("/js/%2e%2e/%2e%2e/pyproject.toml").status_code == 404  # no escape


def test_no_script_builds_html_from_strings() -> None:
    """The client's XSS rule, checked in its source: DOM APIs only, never HTML parsing."""
    sources = sorted((ROOT / "web").rglob("*.js"))
    assert len(sources) > 10
    for source in sources:
        text = source.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{source.relative_to(ROOT)} uses {sink}"
