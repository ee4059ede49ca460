"""Responsabilité collective in a real browser: the Région declares a school-bus change over the CC du Grand Pic
Saint-Loup, previews its effects, publishes; the Département answers with an adaptation; the Région's dashboard
shows who answered; the public journey page of Saint-Martin-de-Londres shows the notice. axe-core on every page."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "motdepasse-solide-42"
AGENTS = {
    "region-e2e": ("region:76", "admin", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXR"),
    "departement-e2e": ("departement:34", "agent", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXS"),
}
SHOTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "captures-impacts"
TITLE = "Nouveaux horaires des cars scolaires"


@pytest.fixture(scope="module")
def agents(server) -> dict:  # noqa: ANN001
    lines = ["from sanscouture.accounts.services import agent_create", "from sanscouture.bodies.models import Body"]
    for username, (key, role, secret) in AGENTS.items():
        lines.append(
            f"agent_create(username={username!r}, password={PASSWORD!r}, body=Body.objects.get(key={key!r}), "
            f"role={role!r}, totp_secret={secret!r})"
        )
    server.manage("shell", "-c", "\n".join(lines))
    return AGENTS


def login(page: Page, username: str, next_url: str) -> None:
    log_in(page, username, AGENTS[username][2], next_url=next_url, password=PASSWORD)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_declare_preview_publish_answer_dashboard_and_journey(page: Page, browser: Browser, server, agents) -> None:  # noqa: ANN001
    # The Région declares, with the commune search and a whole intercommunality.
    login(page, "region-e2e", "/actions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions déclarées")
    assert_accessible(page, context="tableau de bord vide")
    page.get_by_role("link", name="Déclarer une action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer une action")
    assert_accessible(page, context="formulaire de déclaration")
    page.get_by_label("Type d'action").select_option(value="service")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Description").fill("Les cars partent dix minutes plus tôt le matin.")
    page.get_by_label("Début prévu").fill("2026-09-01")
    page.get_by_label("Fin prévue").fill("2027-07-03")
    page.get_by_label("Chercher une commune à ajouter").fill("Saint-Martin-de-Lon")
    page.locator("#suggestions-action button[data-code='34274']").click()
    expect(page.locator("#id_communes")).to_have_value("34274")
    page.get_by_label("Ou tout un territoire").select_option(value="epci:200022986")
    page.get_by_label("Compétences touchées").select_option(value=["transport-scolaire"])
    page.get_by_label("Contact pour les structures concernées").fill("Service des transports scolaires")
    shot(page, "1-declarer")
    page.get_by_role("button", name="Enregistrer et voir les effets").click()
    # The preview: who is affected, why, how many open cases.
    expect(page.get_by_role("heading", name="Aperçu des effets avant publication")).to_be_visible()
    dep = page.locator('#structures-concernees tr[data-structure="departement:34"]')
    expect(dep).to_contain_text(re.compile(r"transport scolaire \(Région Occitanie\) → collèges"))
    expect(page.locator('#structures-concernees tr[data-structure="epci:200022986"]')).to_have_count(1)
    assert_accessible(page, context="aperçu des effets")
    shot(page, "2-apercu")
    page.get_by_role("button", name="Publier et envoyer les avis").click()
    expect(page.locator("#statut-action")).to_have_text("Publiée")
    action_url = page.url

    # The Département answers with an adaptation.
    other = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    dpage = other.new_page()
    login(dpage, "departement-e2e", "/avis/")
    expect(dpage.get_by_role("heading", level=1)).to_have_text("Avis à rendre")
    assert_accessible(dpage, context="boîte des avis")
    dpage.get_by_role("link", name=TITLE, exact=True).click()  # the demo has a « DÉMO — … » one
    expect(dpage.locator("#raisons")).to_contain_text("collèges")
    assert_accessible(dpage, context="avis")
    dpage.locator("label", has_text="Adaptation proposée").click()  # DSFR radios: the label takes the click
    expect(dpage.get_by_label("Adaptation proposée")).to_be_checked()
    dpage.get_by_label("Texte").fill("Décaler le départ de 10 minutes pour le collège.")
    dpage.get_by_role("button", name="Répondre").click()
    expect(dpage.locator("#etat-avis")).to_have_text("Adaptation proposée")
    expect(dpage.locator("#accuse")).to_have_text(re.compile(r"^AR-\d+-\d+-[0-9A-F]{6}$"))
    shot(dpage, "3-reponse")
    other.close()

    # The Région's dashboard and action page: who answered, what, how fast.
    page.goto("/actions/")
    row = page.locator("#tableau-actions tbody tr").first
    expect(row).to_contain_text(TITLE)
    expect(row.locator("td").nth(5)).to_have_text("1")
    assert_accessible(page, context="tableau de bord")
    page.goto(action_url)
    answered = page.locator('#reponses tr[data-structure="departement:34"]')
    expect(answered).to_contain_text("Adaptation proposée")
    expect(answered).to_contain_text("le jour même")
    assert_accessible(page, context="page de l'action publiée")
    shot(page, "4-reponses")

    # The public journey page of Saint-Martin-de-Londres during the period.
    page.goto(
        "/moments-de-vie/je-demenage/parcours?commune=34274&choix=locataire&choix=francais&choix=oui"
        "&choix=salarie-du-secteur-prive&date=2026-09-15"
    )
    expect(page.locator("#avis-en-cours")).to_contain_text("Changements en cours à Saint-Martin-de-Londres")
    expect(page.get_by_text(TITLE, exact=True)).to_be_visible()
    assert_accessible(page, context="parcours avec avis")
    shot(page, "5-parcours")
