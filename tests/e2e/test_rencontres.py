"""Gatherings (issue 13), walked in headless Chromium against `sanscouture serve` after `sanscouture demo`: the CC
Estuaire et Sillon organises a gathering for the agents of its territory; an agent of the CAF de Loire-Atlantique
opens the private link from their notification and replies « peut-être »; the organiser replies « oui », sees the
replies and capacity, then reads the effect panel of the demo's past gathering. Every page passes axe-core."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "demo-motdepasse-solide-42"
SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, as the brief asks)
TITLE = "Fête des voisins au travail — été"


@pytest.fixture(scope="module")
def secrets(server) -> dict[str, str]:  # noqa: ANN001
    out = server.manage("demo", "--mot-de-passe", PASSWORD)
    return dict(re.findall(r"^\s+(demo-[\w-]+) / .* secret TOTP (\w+) ", out, re.M))


def _log_in(page: Page, username: str, secret: str, next_: str = "/rencontres/") -> None:
    log_in(page, username, secret, next_url=next_)


def _context(browser, server):  # noqa: ANN001, ANN202
    """Another person's browser (a TOTP code is accepted once: the organiser keeps their session)."""
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context


def test_organise_reply_by_private_link_and_read_the_effect(page: Page, secrets, browser, server):
    SHOTS.mkdir(exist_ok=True)
    _log_in(page, "demo-cc-estuaire-sillon", secrets["demo-cc-estuaire-sillon"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Rencontres")
    expect(page.locator("#rencontres-passees")).to_contain_text("Fête des voisins au travail")
    past = page.locator("#rencontres-passees tr", has_text="Fête des voisins au travail")
    expect(past.locator(".fr-badge")).to_have_text("Tenue")  # attendance recorded; no longer « Prévue »
    assert_accessible(page, context="liste des rencontres")
    page.screenshot(path=str(SHOTS / "rencontres-liste.png"), full_page=True)
    page.get_by_role("link", name="Organiser une rencontre").click()
    assert_accessible(page, context="formulaire de rencontre")
    # Bad input first: an end before the start is refused, nothing is created.
    day = (timezone.now() + timedelta(days=40)).strftime("%Y-%m-%d")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Lieu").fill("Parc des Acacias, Savenay")
    page.get_by_label("Début").fill(f"{day}T12:00")
    page.get_by_label("Fin").fill(f"{day}T11:00")
    page.get_by_label("Nombre de places").fill("50")
    page.get_by_role("button", name="Organiser et inviter").click()
    expect(page.locator("#erreur-rencontre")).to_contain_text("La fin de la rencontre doit suivre son début")
    assert_accessible(page, context="formulaire refusé")
    page.get_by_label("Fin").fill(f"{day}T14:00")
    page.get_by_role("button", name="Organiser et inviter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#structures-invitees")).to_contain_text("Mairie de Savenay")
    expect(page.locator("#structures-invitees")).to_contain_text("CAF de la Loire-Atlantique")
    page.get_by_label("Oui, je viens").check(force=True)
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.locator("#ma-reponse")).to_contain_text("oui")
    url = page.url

    # An agent of the CAF de Loire-Atlantique finds the private link of their invitation in their notifications…
    agent = _context(browser, server)
    caf = agent.new_page()
    _log_in(caf, "demo-caf-44", secrets["demo-caf-44"], next_="/notifications/")
    row = caf.locator("#liste-notifications tr", has_text=f"Invitation : {TITLE}")
    link = row.get_by_role("link").first.get_attribute("href")
    assert link and "/rencontres/invitation/" in link
    agent.close()
    # … and opens it without logging in (their phone, say).
    anonymous = _context(browser, server)
    phone = anonymous.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert_accessible(phone, context="lien privé")
    phone.get_by_label("Peut-être").check(force=True)
    phone.get_by_role("button", name="Envoyer ma réponse").click()
    expect(phone.locator("#reponse-enregistree")).to_contain_text("peut-être")
    phone.screenshot(path=str(SHOTS / "rencontres-lien-prive.png"), full_page=True)
    anonymous.close()

    # The organiser sees both replies and the seats left.
    page.goto(url)
    expect(page.locator("#compte-reponses")).to_contain_text("1 oui sur 50 places (49 restantes)")
    expect(page.locator("#compte-reponses")).to_contain_text("1 peut-être")
    assert_accessible(page, context="page de la rencontre")
    page.screenshot(path=str(SHOTS / "rencontres-detail.png"), full_page=True)

    # The effect panel: the demo's past gathering, before and after, beside comparable bodies.
    page.goto("/rencontres/effet/")
    event = page.locator("article", has_text="Fête des voisins au travail")
    expect(event.locator("table")).to_contain_text("interactions par lien et par mois")
    expect(event).to_contain_text("tendances parallèles")
    expect(event.locator("table")).to_contain_text("pas encore disponible : moins de 6 mois")  # ~100 days ago
    expect(page.locator("#agrege-resume")).to_contain_text("1 rencontre")
    assert_accessible(page, context="effet des rencontres")
    page.screenshot(path=str(SHOTS / "rencontres-effet.png"), full_page=True)
