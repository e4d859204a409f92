"""axe-core (Deque's accessibility engine, pinned in package.json; `make test` installs it
with the other node tools) run in a Playwright page against WCAG 2.1 A and AA rules.

The script is evaluated through the DevTools protocol, as Deque's own @axe-core/playwright
does (https://github.com/dequelabs/axe-core-npm/tree/develop/packages/playwright), so the
page's Content-Security-Policy stays on. API: https://github.com/dequelabs/axe-core/blob/develop/doc/API.md
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[str]:
    """Each violation on the page as it is now: rule id, impact and the elements' selectors."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make node-tools` (npm ci)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        """(tags) => axe.run(document, {
             runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        WCAG21_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]} {v['help']}"
        for v in results["violations"]
    ]
