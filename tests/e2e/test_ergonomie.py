"""Issue 8 (ergonomie): the paths a new person and agents took, in a real browser against the real server (full
national referential), with what each point promises checked and axe-core run on every page shown."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_accessible, log_in

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


def test_the_declaration_asks_nothing_twice(page: Page) -> None:
    answers = "&".join(f"choix={c}" for c in ANSWERS)
    page.goto(f"/moments-de-vie/je-demenage/parcours?commune=Saint-Martin-de-Londres&commune_depart=Savenay&{answers}")
    page.get_by_role("link", name="Déclarer une seule fois").click()
    expect(page.locator("#form-declaration")).to_be_visible()  # the commune left is not asked again
    recap = page.locator("#recapitulatif")
    expect(recap).to_contain_text("Commune quittée : Savenay")
    expect(recap).to_contain_text("Vous travaillez dans le privé")
    expect(page.locator("[name=situation_professionnelle]")).to_have_count(0)
    expect(page.get_by_label("Enfants qui déménagent avec vous")).to_be_visible()
    legends = page.locator("#form-declaration legend").all_inner_texts()
    assert legends[:4] == ["Vous", "L'événement", "Votre foyer et votre situation", "Pour vous tenir informé"]
    consent_all = page.get_by_label(re.compile(r"J'accepte que chacune de ces \d+ structures"))
    expect(consent_all).not_to_be_checked()
    assert_accessible(page, context="déclaration")
    shot(page, "04-declaration")
    page.get_by_role("button", name=re.compile("Ou choisir structure par structure")).click()
    # axe reads colours: wait until the accordion has finished opening (its height no longer clips the content).
    page.wait_for_function(
        "() => { const el = document.querySelector('#accord-structures');"
        " return el.getBoundingClientRect().height >= el.scrollHeight - 1; }"
    )
    caf = page.locator('.sc-planned[data-structure="caf:34"]')
    expect(caf).to_contain_text("Pour : ")
    expect(caf).to_contain_text("Elle verra : nom, prénoms")
    assert_accessible(page, context="déclaration, structure par structure")
    shot(page, "05-declaration-structures")
    page.locator("#id_nom").fill("DÉMO E2E Ergonomie (personne fictive)")
    consent_all.check(force=True)
    page.get_by_role("button", name="Envoyer ma déclaration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration enregistrée")


def test_an_agent_lands_on_their_tasks_and_tells_them_apart(browser, server) -> None:  # noqa: ANN001
    from .test_guichet_unique import _context

    out = server.manage("demo", "--mot-de-passe", "demo-motdepasse-solide-42")
    assert f"{server.url}/suivi/" in out  # the follow-up links use the port the server really runs on
    secret = dict(re.findall(r"^\s+(demo-[\w-]+) / .* secret TOTP (\w+) ", out, re.M))["demo-mairie-savenay"]
    page = _context(browser, server).new_page()
    log_in(page, "demo-mairie-savenay", secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tâches de mes structures")  # not "Qui fait quoi ?"
    expect(page.locator("#qui-est-connecte")).to_contain_text("Mairie de Savenay")
    titles = page.locator("#liste-taches tbody tr td:nth-child(2)").all_inner_texts()
    assert titles and not any(t in ("Je déménage", "Départ de la commune : Savenay") for t in titles)
    page.get_by_label("Commune").fill("Saint-Martin-de-Londres")  # a name, not an INSEE code
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#liste-taches caption")).not_to_have_text("0 tâche")
    assert_accessible(page, context="mes tâches")
    shot(page, "06-mes-taches")
    page.locator("#liste-taches tbody tr a").first.click()
    card = page.locator("#mes-taches .sc-task").first
    first = card.locator("> *").first
    expect(first).to_have_class(re.compile("sc-task__title"))  # what the task is, before its forms
    expect(page.locator("#donnees")).not_to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))  # no ISO date
    assert_accessible(page, context="dossier")
    shot(page, "07-dossier")
