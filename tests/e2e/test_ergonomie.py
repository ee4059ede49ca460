"""Issue 8 (ergonomie): the paths a new person and agents took, in a real browser against the real server (full
national referential), with what each point promises checked and axe-core run on every page shown."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_accessible

pytestmark = pytest.mark.e2e
ANSWERS = ("locataire", "francais", "oui", "salarie-du-secteur-prive")  # the questionnaire of "Je déménage"
SHOTS = Path("/tmp/ergo")  # noqa: S108 (screenshots to look at, as the brief asks)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def commune_field(page: Page):  # noqa: ANN201
    return page.get_by_role("searchbox", name=re.compile(r"^Commune"))


def test_a_postcode_offers_the_commune_of_that_postcode_first(page: Page) -> None:
    page.goto("/")
    field = commune_field(page)
    field.press_sequentially("13008", delay=20)
    suggestions = page.locator("#suggestions").get_by_role("link")
    expect(suggestions.first).to_contain_text("Marseille 8e Arrondissement (13)")
    expect(suggestions.first).to_contain_text("code postal 13008")
    expect(suggestions.nth(1)).to_contain_text("Aurons (13)")
    expect(suggestions.nth(1)).to_contain_text("code INSEE 13008")
    assert_accessible(page, context="suggestions 13008")
    shot(page, "01-suggestions-13008")
    field.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("« 13008 » est un code postal et un code INSEE")
    links = alert.get_by_role("link")
    expect(links.first).to_have_text("Marseille 8e Arrondissement (13)")
    assert_accessible(page, context="13008 : deux communes")
    shot(page, "02-entree-13008")
    links.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Marseille 8e Arrondissement ?")
    expect(page.locator("#note-code")).to_contain_text("mairie d'arrondissement")


def test_arrondissements_typos_and_missing_apostrophes(page: Page) -> None:
    page.goto("/")
    field = commune_field(page)
    field.fill("Paris 15e")
    field.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Paris 15e Arrondissement ?")

    field = commune_field(page)
    field.fill("lhay les roses")
    field.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à L'Haÿ-les-Roses ?")

    field = commune_field(page)
    field.fill("")
    field.press_sequentially("Montpelier", delay=20)
    box = page.locator("#suggestions")
    expect(box).to_contain_text("Vouliez-vous dire")
    expect(box.get_by_role("link").first).to_contain_text("Montpellier (34)")
    field.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Vouliez-vous dire « Montpellier (34) » ?")
    assert_accessible(page, context="Montpelier : vouliez-vous dire")
    shot(page, "03-vouliez-vous-dire")
    alert.get_by_role("link", name="Montpellier (34)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Montpellier ?")


def test_the_questionnaire_uses_the_same_lookup(page: Page) -> None:
    answers = "&".join(f"choix={c}" for c in ANSWERS)
    page.goto(f"/moments-de-vie/je-demenage/parcours?commune=13008&commune_depart=Savenay&{answers}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("code postal et un code INSEE")
    expect(alert.get_by_role("link").first).to_have_text("Marseille 8e Arrondissement (13)")
    assert_accessible(page, context="questionnaire 13008")
    alert.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marseille")
