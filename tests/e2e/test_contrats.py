"""Contracts (issue 14 « Done when »), walked in headless Chromium against `sanscouture serve` after
`sanscouture demo`: the CC du Grand Pic Saint-Loup's agent opens the demo CRTE from the contract list filtered on a
commune, sees the sheet « Pôle d'échanges multimodal » flag the Région as holder of mobility but not a partner,
reads the granted budget line of the Département, opens the IFC model of the station building (summary, diff of its
two versions), uploads a third version through the page, and opens the Région's page of levers."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sanscouture.contracts.demo import SPACE_IDS, station_model

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, as the brief asks)


@pytest.fixture(scope="module")
def secrets(demo: dict) -> dict[str, str]:
    return {a["username"]: a["totp_secret"] for a in demo["agents"]}


def _log_in(page: Page, username: str, secret: str, next_url: str = "/contrats/") -> None:
    log_in(page, username, secret, next_url=next_url)


def test_the_levers_of_the_demo_crte(page: Page, secrets: dict[str, str]):
    SHOTS.mkdir(exist_ok=True)
    _log_in(page, "demo-cc-pic-saint-loup", secrets["demo-cc-pic-saint-loup"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrats entre acteurs publics")
    page.get_by_label("Commune (nom, code postal ou code INSEE)").fill("34274")
    page.get_by_role("button", name="Filtrer").click()
    assert_accessible(page, context="liste des contrats")
    page.screenshot(path=SHOTS / "contrats.png", full_page=True)
    page.get_by_role("link", name="DÉMO — CRTE du Grand Pic Saint-Loup").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DÉMO — CRTE du Grand Pic Saint-Loup")
    expect(page.locator("#signataires")).to_contain_text("Département de l'Hérault")
    warning = page.locator(".fr-alert--warning").first
    expect(warning).to_contain_text("Organisation de la mobilité (AOM) : Région Occitanie")
    assert_accessible(page, context="page du contrat")
    page.screenshot(path=SHOTS / "contrat.png", full_page=True)
    page.get_by_role("link", name="Pôle d'échanges multimodal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pôle d'échanges multimodal")
    expect(page.locator(".lever-alert").first).to_contain_text(
        "La compétence « Organisation de la mobilité (AOM) » est exercée par Région Occitanie, qui n'est pas "
        "partenaire de cette fiche"
    )
    mobility = page.locator('#table-leviers tr[data-competence="mobilite-aom"]')
    expect(mobility).to_have_attribute("data-partenaire", "non")
    routes = page.locator('#table-leviers tr[data-competence="routes-departementales"]')
    expect(routes).to_have_attribute("data-partenaire", "oui")
    expect(page.locator('#table-budget tr[data-statut="accorde"]')).to_contain_text("Département de l'Hérault")
    assert_accessible(page, context="page de la fiche action")
    page.screenshot(path=SHOTS / "fiche.png", full_page=True)
    sheet_url = page.url
    # The IFC model shared on the sheet: its summary, then the diff between its two versions.
    page.get_by_role("link", name="Maquette du bâtiment voyageurs").click()
    expect(page.locator("#resume-ifc")).to_contain_text("IFC4")
    expect(page.locator("#table-espaces")).to_contain_text("Hall")
    expect(page.get_by_role("heading", name="Bâtiment : Gare routière")).to_be_visible()
    page.get_by_role("link", name="comparer avec la version 1").click()
    expect(page.locator("#differences")).to_contain_text("Espace supprimé : Attente")
    expect(page.locator("#differences")).to_contain_text("Espace ajouté : Local agents")
    expect(page.locator("#differences")).to_contain_text("Surface modifiée : Hall — 120,5 → 140 m²")
    assert_accessible(page, context="maquette IFC, comparaison")
    page.screenshot(path=SHOTS / "maquette-comparaison.png", full_page=True)
    # A third version, uploaded through the page: the bike shelter's area is now measured.
    v3 = station_model({"Hall": 140.0, "Vélos": 24.0, "Local agents": 18.0}, ids=SPACE_IDS)
    page.get_by_label("Nouvelle version").set_input_files(
        files=[{"name": "gare-pem-v3.ifc", "mimeType": "application/octet-stream", "buffer": v3}]
    )
    page.get_by_role("button", name="Déposer la nouvelle version").click()
    expect(page.get_by_role("heading", name="Comparaison : version 2 → version 3")).to_be_visible()
    expect(page.locator("#differences")).to_contain_text("Surface modifiée : Vélos — non renseignée → 24 m²")
    expect(page.locator("#differences")).not_to_contain_text("Local agents")  # same space, same GlobalId
    expect(page.locator("#journal-acces")).to_contain_text("Dépôt")
    assert_accessible(page, context="maquette IFC, version 3")
    page.screenshot(path=SHOTS / "maquette-v3.png", full_page=True)
    page.goto(sheet_url)
    page.locator("#table-leviers").get_by_role("link", name="Région Occitanie").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Région Occitanie")
    expect(page.locator("#leviers-detenus")).to_contain_text("Pôle d'échanges multimodal")
    assert_accessible(page, context="leviers détenus par la Région")
    page.screenshot(path=SHOTS / "leviers-region.png", full_page=True)


def test_works_of_the_departement_on_its_roads_name_the_sheets_pilot_and_signatories(
    page: Page, secrets: dict[str, str]
):
    """The « Done when »'s last sentence: a declared action of the Département on routes départementales in one of
    the sheet's communes names the sheet's pilot and the contract's other signatories as affected, the sheet as the
    reason (issue 11's preview)."""
    SHOTS.mkdir(exist_ok=True)
    _log_in(page, "demo-departement-34", secrets["demo-departement-34"], "/actions/nouvelle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer une action")
    page.get_by_label("Type d'action").select_option(value="travaux_voirie")
    page.get_by_label("Titre").fill("Réfection de la RD 986")
    page.get_by_label("Début prévu").fill("2027-03-01")
    page.get_by_label("Fin prévue").fill("2027-04-30")
    page.get_by_label("Chercher une commune à ajouter").fill("Saint-Martin-de-Lon")
    page.locator("#suggestions-action button[data-code='34274']").click()
    page.get_by_label("Compétences touchées").select_option(value=["routes-departementales"])
    page.get_by_label("Contact pour les structures concernées").fill("Agence routière du Pic Saint-Loup")
    page.get_by_role("button", name="Enregistrer et voir les effets").click()
    expect(page.get_by_role("heading", name="Aperçu des effets avant publication")).to_be_visible()
    for key, role in (("epci:200022986", "pilote"), ("prefecture:34", "partenaire")):
        row = page.locator(f'#structures-concernees tr[data-structure="{key}"]')
        expect(row).to_contain_text("fiche action « Pôle d'échanges multimodal » du contrat")
        expect(row).to_contain_text(f"est {role}")
    assert_accessible(page, context="aperçu des effets, fiche action touchée")
    page.screenshot(path=SHOTS / "action-departement-fiche.png", full_page=True)
