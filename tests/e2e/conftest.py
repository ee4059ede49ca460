"""Browser fixtures: one headless Chromium per session (system binary), a fresh context per test.

`assert_accessible(page)` runs axe-core (npm package, installed by scripts/test) on the page as it is now and fails
on any violation, listing each rule with the first offending elements.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sanscouture.accounts.testing import totp_code_from_secret

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


DEMO_PASSWORD = "demo-motdepasse-solide-42"
TOTP_STEP = 30
# The last TOTP step each username's code was given for, over the whole session: the walks share one server and
# django-otp takes a code once per step, so two walks logging the same agent in within 30 s must not reuse one.
_LAST_STEP: dict[str, int] = {}


def fresh_totp_code(username: str, secret: str) -> str:
    """A code the server accepts (one step either side of now) and has not seen for `username`; waits for the next
    step when both are used."""
    while True:
        now = int(time.time()) // TOTP_STEP
        step = max(now, _LAST_STEP.get(username, now - 1) + 1)
        if step <= now + 1:
            _LAST_STEP[username] = step
            return totp_code_from_secret(secret, step_offset=step - now)
        time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.2)


def log_in(
    page: Page, username: str, secret: str, *, next_url: str | None = None, password: str = DEMO_PASSWORD
) -> None:
    """Password then a fresh TOTP code, as a person does on /connexion/; lands on `next_url` (by default where the
    product sends an agent)."""
    page.goto(f"/connexion/?next={next_url}" if next_url else "/connexion/")
    page.get_by_role("textbox", name="Identifiant", exact=True).fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(fresh_totp_code(username, secret))
    page.get_by_role("button", name="Valider le code").click()


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
    # axe reads computed colours: a transition still running (a DSFR accordion opening) gives passing colours
    # mid-way, so wait until every finite animation and transition of the page has ended.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect?.getComputedTiming().iterations === Infinity)"
    )
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
