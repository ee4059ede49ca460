"""Vis mon job, the issue's « Done when », walked in headless Chromium against `sanscouture serve` after
`sanscouture demo`: the CAF de l'Hérault's administrator opts in, sees the Département suggested with its reasons,
proposes a pair to the Département's opted-in agent, who accepts; both administrators approve; dates are set (the
invitation is an RFC 5545 file), the convention prints, the immersion is declared done and both agents leave their
feedback. Every page passes axe-core."""

import re
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "demo-motdepasse-solide-42"
SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, as the brief asks)


@pytest.fixture(scope="module")
def secrets(server) -> dict[str, str]:  # noqa: ANN001
    out = server.manage("demo", "--mot-de-passe", PASSWORD)
    return dict(re.findall(r"^\s+(demo-[\w-]+) / .* secret TOTP (\w+) ", out, re.M))


def _session(browser: Browser, server, username: str, secret: str) -> Page:  # noqa: ANN001
    """One browser context per person, logged in once (a TOTP code is good once per device)."""
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, username, secret, next_url="/vis-mon-job/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vis mon job")
    return page


def _act(page: Page, button: str, message: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(message)).to_be_visible()


def test_a_pair_from_suggestion_to_feedback(browser: Browser, server, secrets):  # noqa: ANN001
    SHOTS.mkdir(exist_ok=True)
    caf = _session(browser, server, "demo-caf-34", secrets["demo-caf-34"])
    assert_accessible(caf, context="liste vis mon job")
    # Opt in.
    caf.get_by_role("link", name="M'inscrire").click()
    form = caf.locator("#inscription")
    form.get_by_label("Votre métier ou fonction").fill("Responsable de l'accueil")
    form.get_by_label("Ce que vous pouvez montrer de votre métier").fill("L'accueil des allocataires")
    form.get_by_label("Ce que vous aimeriez découvrir").fill("La protection maternelle et infantile")
    form.locator("label", has_text="Prestations familiales").click()  # DSFR draws the checkbox on its label
    expect(form.get_by_label("Prestations familiales")).to_be_checked()
    assert_accessible(caf, context="inscription")
    caf.screenshot(path=SHOTS / "vmj-inscription.png", full_page=True)
    form.get_by_role("button", name="Enregistrer mon inscription").click()
    # The suggestions: the Département, with its reasons.
    expect(caf.get_by_role("heading", level=1)).to_have_text("Binômes suggérés — CAF de l'Hérault")
    card = caf.locator("[data-suggestion]", has=caf.get_by_role("heading", name=re.compile("Département de l'Hérault")))
    expect(card).to_have_count(1)
    expect(card.locator("[data-raison]").first).to_contain_text("orientations")
    expect(card).to_contain_text("Mais le lien est faible")
    assert_accessible(caf, context="suggestions")
    caf.screenshot(path=SHOTS / "vmj-suggestions.png", full_page=True)
    card.get_by_role("button", name=re.compile("Proposer un binôme à Démo Département")).click()
    expect(caf.locator("#statut")).to_have_text("Proposé, en attente de l'autre agent")
    expect(caf.locator("#raisons")).to_contain_text("lien est faible")
    pair_url = caf.url
    assert_accessible(caf, context="binôme proposé")

    # The Département's agent accepts.
    agent = _session(browser, server, "demo-departement-34-agent", secrets["demo-departement-34-agent"])
    agent.goto(pair_url)
    _act(agent, "Accepter le binôme", "Vous avez accepté le binôme.")
    assert_accessible(agent, context="binôme accepté")

    # Both administrators approve (the CAF's is also the proposer here).
    caf.goto(pair_url)
    _act(caf, "Approuver pour ma structure", "Vous avez approuvé le binôme pour votre structure.")
    admin = _session(browser, server, "demo-departement-34", secrets["demo-departement-34"])
    admin.goto(pair_url)
    _act(admin, "Approuver pour ma structure", "Vous avez approuvé le binôme pour votre structure.")
    expect(admin.locator("#statut")).to_have_text("Approuvé, dates à fixer")
    assert_accessible(admin, context="binôme approuvé")

    # Dates: today (so that the walk can end today); the invitation is an iCalendar file.
    today = date.today().isoformat()
    dates = admin.locator("#form-dates")
    dates.get_by_label("Premier jour").fill(today)
    dates.get_by_label("Dernier jour").fill(today)
    dates.get_by_label("Lieu").fill("Hôtel du Département, Montpellier")
    _act(admin, "Enregistrer les dates et envoyer les invitations", "Dates enregistrées")
    expect(admin.locator("#statut")).to_have_text("Dates fixées, convention prête")
    assert_accessible(admin, context="binôme aux dates fixées")
    admin.screenshot(path=SHOTS / "vmj-binome.png", full_page=True)
    ics = admin.request.get(admin.get_by_role("link", name=re.compile("Invitation")).get_attribute("href"))
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(ics.body()).walk("VEVENT")[0]
    assert event.decoded("DTSTART").date().isoformat() == today and str(event["LOCATION"]).startswith("Hôtel")

    # The convention, ready to print.
    caf.goto(pair_url)
    caf.get_by_role("link", name="Convention d'immersion (à imprimer)").click()
    expect(caf.get_by_role("heading", level=1)).to_have_text("Convention d'immersion professionnelle « vis mon job »")
    expect(caf.locator("#convention")).to_contain_text("Hôtel du Département, Montpellier")
    assert_accessible(caf, context="convention")
    caf.emulate_media(media="print")
    caf.screenshot(path=SHOTS / "vmj-convention.png", full_page=True)
    caf.emulate_media(media="screen")

    # Done, then each agent's feedback.
    caf.goto(pair_url)
    caf.get_by_role("button", name="Déclarer l'immersion réalisée").click()
    expect(caf.get_by_role("heading", level=1)).to_have_text("Mon retour sur l'immersion")
    assert_accessible(caf, context="retour")
    caf.get_by_label(re.compile("ce que vous avez appris")).fill("Je sais maintenant quand orienter vers la PMI.")
    caf.locator("#utilite label", has_text="4 — beaucoup").click()
    caf.get_by_role("button", name="Envoyer mon retour").click()
    expect(caf.get_by_text("Merci pour votre retour.")).to_be_visible()
    agent.goto(pair_url)
    agent.get_by_role("link", name="Laisser mon retour").click()
    agent.get_by_label(re.compile("ce que vous avez appris")).fill("Les contraintes de l'instruction CAF.")
    agent.locator("#utilite label", has_text="3 — assez").click()
    agent.get_by_role("button", name="Envoyer mon retour").click()
    expect(agent.locator("#statut")).to_have_text("Réalisé")
    expect(agent.locator("#retours li")).to_have_count(2)
    assert_accessible(agent, context="binôme réalisé")
    agent.screenshot(path=SHOTS / "vmj-realise.png", full_page=True)
    for page in (caf, agent, admin):
        page.context.close()
