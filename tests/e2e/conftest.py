"""Browser fixtures: one headless Chromium per session (system binary), a fresh context per test.

`assert_accessible(page)` runs axe-core (npm package, installed by scripts/test) on the page as it is now and fails
on any violation, listing each rule with the first offending elements.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop in the main thread for the whole session; Django would then take
    # the ORM calls of later tests (ours are all synchronous) for calls from async code (pytest-playwright's advice).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server) -> Iterator[Page]:  # noqa: ANN001
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"erreurs JavaScript dans la page : {errors}"


def assert_accessible(page: Page, *, context: str = "") -> None:
    """0 axe-core violations (WCAG 2.1 A/AA rules and best practices) on the page as displayed now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script>: the pages' CSP (nonces) refuses inline scripts.
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await window.axe.run(document)")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + " | ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
    ]
    where = context or page.url
    assert not violations, f"axe-core sur {where} :\n" + "\n".join(violations)
