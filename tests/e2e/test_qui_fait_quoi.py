"""'Qui fait quoi ?' in a real browser against the real server (full national referential)."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PIC = "CC du Grand Pic Saint-Loup"
HERAULT = "Département de l'Hérault"
OCCITANIE = "Région Occitanie"
EXPECTED = {
    "dechets-menagers": PIC,
    "gemapi": PIC,
    "gens-du-voyage": PIC,
    "rsa": HERAULT,
    "pmi": HERAULT,
    "colleges": HERAULT,
    "lycees": OCCITANIE,
    "transport-scolaire": OCCITANIE,
}


def commune_field(page: Page):  # noqa: ANN201
    return page.get_by_role("searchbox", name=re.compile(r"^Commune"))


def test_autocomplete_then_table_then_another_commune(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi ?")
    field = commune_field(page)
    field.press_sequentially("Saint-Martin-de", delay=20)
    suggestion = page.locator("#suggestions").get_by_role("link", name=re.compile(r"^Saint-Martin-de-Londres \(34\)"))
    expect(suggestion).to_be_visible()
    # Keyboard: ↓ from the field reaches the suggestions, Entrée follows the focused link.
    field.press("ArrowDown")
    for _ in range(8):
        if suggestion.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Saint-Martin-de-Londres ?")
    for code, body in EXPECTED.items():
        row = page.locator(f'tr[data-competence="{code}"]')
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_contain_text(body)
        expect(row.locator(".sc-reason")).to_have_text(re.compile(r"\w{10,}"))
    expect(page.locator('tr[data-competence="dechets-menagers"] td').nth(0)).to_contain_text("Intercommunalité")

    field = commune_field(page)
    field.fill("Savenay")
    field.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Savenay ?")
    expect(page.locator("main")).to_contain_text("CC Estuaire et Sillon")
    expect(page.locator('tr[data-competence="dechets-menagers"]')).to_contain_text("CC Estuaire et Sillon")


def test_ambiguous_name_lists_the_candidates_with_links(page: Page) -> None:
    page.goto("/")
    commune_field(page).fill("Saint-Denis")
    page.get_by_role("button", name="Rechercher").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Plusieurs communes s'appellent « Saint-Denis »")
    link = alert.get_by_role("link", name=re.compile(r"^Saint-Denis \(93"))
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Saint-Denis ?")
    expect(page.locator("main")).to_contain_text("Seine-Saint-Denis")


def test_unknown_name_is_a_french_error_not_a_crash(page: Page) -> None:
    response = page.goto("/?commune=Zzyzx-sur-Rien")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("Aucune commune ne s'appelle « Zzyzx-sur-Rien »")
    expect(commune_field(page)).to_have_value("Zzyzx-sur-Rien")


def test_the_page_works_without_javascript(browser, server) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=server.url, java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto("/")
        commune_field(page).fill("Saint-Martin-de-Londres")
        commune_field(page).press("Enter")
        expect(page.locator('tr[data-competence="gemapi"]')).to_contain_text(PIC)
    finally:
        context.close()


def test_header_and_footer_are_styled_by_the_dsfr(page: Page, tmp_path) -> None:  # noqa: ANN001
    page.goto("/")
    # DSFR CSS served by whitenoise: the header logo is drawn, the JS marks the page as started.
    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    assert page.locator(".fr-header").evaluate("el => getComputedStyle(el).position") != "static"
    expect(page.get_by_role("banner")).to_contain_text("Sans Couture")
    expect(page.get_by_role("contentinfo")).to_contain_text("Accessibilité : non conforme")
    page.screenshot(path=tmp_path / "accueil.png", full_page=True)


def test_paris_15e_shows_the_source_of_each_answer_and_the_disagreement(page: Page, tmp_path) -> None:  # noqa: ANN001
    """Issue 9: an arrondissement answers with its mairie for état civil, Paris with IDFM, the BSPP and the
    préfecture de police; the order of the sources and what the law would say are on the page."""
    from tests.e2e.conftest import assert_accessible

    page.goto("/?code=75115")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Paris 15e Arrondissement ?")
    expect(page.locator("#note-code")).to_contain_text("Paris 15e Arrondissement")
    expect(page.locator("#precedence")).to_contain_text("puis BANATIC")
    expect(page.locator('tr[data-competence="etat-civil"] td').nth(0)).to_contain_text(
        "Mairie du 15e arrondissement de Paris"
    )
    mobility = page.locator('tr[data-competence="mobilite-aom"]')
    expect(mobility.locator("td").nth(0)).to_contain_text("Île-de-France Mobilités")
    expect(mobility.locator(".sc-disagreement")).to_have_text(
        "Autres sources : La loi désignerait : Région Île-de-France."
    )
    expect(page.locator('tr[data-competence="sdis"] td').nth(0)).to_contain_text("Brigade de sapeurs-pompiers de Paris")
    expect(page.locator('tr[data-competence="titres-sejour"] td').nth(0)).to_contain_text("Préfecture de police")
    expect(page.locator('tr[data-competence="colleges"] td').nth(0)).to_contain_text("Ville de Paris")
    expect(page.locator('tr[data-competence="titres-sejour"] .sc-unverified')).to_have_count(0)
    assert_accessible(page, context="Paris 15e")
    page.screenshot(path=tmp_path / "paris-15e.png")
    mobility.screenshot(path=tmp_path / "paris-15e-mobilite.png")
    page.locator('tr[data-competence="titres-sejour"]').screenshot(path=tmp_path / "paris-15e-titres.png")
    # A reference not yet checked against the text says so (Sytral: Code des transports L1243-1 not read).
    page.goto("/?code=69123")
    lyon = page.locator('tr[data-competence="mobilite-aom"]')
    expect(lyon.locator(".sc-unverified")).to_have_text("Référence légale non vérifiée")
    expect(lyon.locator(".sc-reason")).not_to_contain_text("selon la loi")
    expect(page.locator('tr[data-competence="etat-civil"] .sc-unverified')).to_have_count(0)
    lyon.screenshot(path=tmp_path / "lyon-mobilite.png")
