"""'Moments de vie' in a real browser against the real server (full referential, bundled catalogue): the
issue's "Done when" — Je déménage, Locataire / Français / Oui / Salarié du secteur privé, at Saint-Martin-de-Londres.
Screenshots go to /tmp/shots/ for a look at the DSFR rendering (desktop, mobile, print)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import assert_accessible

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, as the brief asks)
ANSWERS = {
    "Situation avant le déménagement": "Locataire",
    "Nationalité": "Français",
    "Avez-vous des enfants à charge ?": "Oui",
    "Situation professionnelle": "Salarié du secteur privé",
}
JOURNEY = (
    "/moments-de-vie/je-demenage/parcours?commune=34274"
    "&choix=locataire&choix=francais&choix=oui&choix=salarie-du-secteur-prive"
)
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", autouse=True)
def shots() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


def commune_field(page: Page):  # noqa: ANN201
    return page.get_by_label(re.compile(r"^(Votre commune|Commune où vous vous installez)"))


def step_titles(page: Page) -> list[str]:
    return page.locator(".sc-step__title").all_inner_texts()


def expect_done_when(page: Page) -> None:
    """The routed steps the issue asks for."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Je déménage : votre parcours à Saint-Martin-de-Londres")
    assert len(step_titles(page)) >= 10
    electoral = page.locator('.sc-competent:has(li[data-fiche="F1372"])')
    expect(electoral).to_contain_text("Mairie de Saint-Martin-de-Londres")
    expect(page.locator('.sc-competent:has(li[data-competence="prestations-familiales"])').first).to_contain_text(
        "CAF de l'Hérault"
    )
    waste = page.locator('.sc-competent:has(li[data-fiche="F22730"])')
    expect(waste).to_contain_text("CC du Grand Pic Saint-Loup")
    expect(waste).to_contain_text("Bon à savoir : la fiche nationale indique")
    expect(page.get_by_text("Différent de service-public.fr")).to_have_count(0)
    fiche = page.locator('.sc-fiche[data-fiche="F1168"] > a')
    expect(fiche).to_have_attribute("href", re.compile(r"service-public\.fr.*F1168$"))
    expect(page.locator('.sc-fiche[data-fiche="F2604"]')).to_have_count(0)  # the owner's steps are hidden


def test_je_demenage_from_the_list_to_a_shareable_journey(page: Page, browser: Browser, server) -> None:  # noqa: ANN001
    page.goto("/moments-de-vie/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Moments de vie")
    assert_accessible(page)
    for audience in ("Particuliers", "Professionnels", "Associations"):
        expect(page.get_by_role("heading", level=2, name=audience)).to_be_visible()
    page.screenshot(path=SHOTS / "moments-de-vie.png", full_page=True)
    page.get_by_role("link", name="Je déménage", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Je déménage")
    for question, choice in ANSWERS.items():
        group = page.get_by_role("group", name=re.compile("^" + re.escape(question)))
        group.locator("label").get_by_text(choice, exact=True).click()  # the DSFR draws the radio on the label
        expect(group.get_by_label(choice, exact=True)).to_be_checked()
    # A move: the commune left, then the commune of arrival, each with its own suggestions.
    left = page.get_by_label(re.compile(r"^Commune que vous quittez"))
    left.press_sequentially("Savenay", delay=20)
    left_suggestion = page.locator("#suggestions-depart").get_by_role("button", name=re.compile(r"^Savenay \(44\)"))
    expect(left_suggestion).to_be_visible()
    left_suggestion.click()
    expect(left).to_have_value("Savenay (44)")
    field = commune_field(page)
    field.press_sequentially("Saint-Martin-de", delay=20)
    suggestion = page.locator("#suggestions").get_by_role("button", name=re.compile(r"^Saint-Martin-de-Londres \(34\)"))
    expect(suggestion).to_be_visible()
    page.screenshot(path=SHOTS / "questionnaire.png", full_page=True)
    assert_accessible(page)
    suggestion.click()
    expect(field).to_have_value("Saint-Martin-de-Londres (34)")
    expect(page.locator("#suggestions button")).to_have_count(0)
    page.get_by_role("button", name="Voir mon parcours").click()

    expect(page).to_have_url(re.compile(r"/moments-de-vie/je-demenage/parcours\?commune=.*&choix=locataire&choix="))
    expect_done_when(page)
    recap = page.locator("#vos-reponses")
    expect(recap).to_contain_text("Ce parcours est personnalisé selon vos réponses")
    for question, choice in ANSWERS.items():
        expect(recap).to_contain_text(f"{question} : {choice}")
    expect(recap).to_contain_text("Saint-Martin-de-Londres (34274)")
    expect(recap).to_contain_text("Commune quittée : Savenay")
    expect(page.locator("#commune-quittee")).to_contain_text("Mairie de Savenay")
    declare = page.get_by_role("link", name="Déclarer une seule fois")
    expect(declare).to_have_attribute(
        "href",
        re.compile(r"commune=Saint-Martin-de-Londres\+%2834%29&commune_depart=Savenay\+%2844%29&choix=locataire"),
    )
    page.screenshot(path=SHOTS / "parcours.png", full_page=True)
    assert_accessible(page)
    titles = step_titles(page)

    # The shareable URL, opened elsewhere, shows the same journey.
    share = page.locator("#adresse-parcours").input_value()
    assert share.startswith(server.url) and "commune=Saint-Martin-de-Londres+%2834%29" in share
    assert "commune_depart=Savenay+%2844%29" in share and "choix=salarie-du-secteur-prive" in share
    other = browser.new_context(locale="fr-FR")
    try:
        again = other.new_page()
        again.goto(share)
        expect_done_when(again)
        assert step_titles(again) == titles
    finally:
        other.close()

    # "Modifier mes réponses" comes back to the questionnaire, pre-filled.
    page.get_by_role("link", name="Modifier mes réponses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je déménage")
    expect(page.get_by_label("Locataire", exact=True)).to_be_checked()
    expect(page.get_by_label("Salarié du secteur privé", exact=True)).to_be_checked()
    expect(commune_field(page)).to_have_value("Saint-Martin-de-Londres (34)")
    expect(page.get_by_label(re.compile(r"^Commune que vous quittez"))).to_have_value("Savenay (44)")


EXPECTING = (
    "/moments-de-vie/j-attends-un-enfant/parcours?commune=34274&choix=avez-vous-un-autre-enfant-a-charge-non"
    "&choix=avez-vous-un-emploi-oui&choix=etes-vous-locataire-d-un-logement-social-hlm-non"
)


def test_j_attends_un_enfant_shows_the_official_content_services_and_classified_offices(page: Page) -> None:
    """The issue's done-when: sub-chapters, boxes and lists as on service-public.fr; the CAF online space and the
    birth-certificate request; every office one of the four classes with a working link."""
    page.goto(EXPECTING)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "J'attends un enfant : votre parcours à Saint-Martin-de-Londres"
    )
    # Print / PDF first, the essentials with the time limits first.
    expect(page.locator("#actions").get_by_role("button", name="Imprimer ou enregistrer en PDF")).to_be_visible()
    expect(page.locator("#essentiel li").first).to_contain_text("Dans les 5 jours qui suivent la naissance")
    services = page.locator("#services-du-moment")
    expect(services.get_by_role("link", name="Caisse d'allocations familiales (Caf) en ligne")).to_have_count(1)
    expect(services.get_by_role("link", name=re.compile(r"^Demande d'acte de naissance"))).to_have_count(1)
    # The official content: cases with their titles, boxes, real lists, links inside sentences.
    expect(page.locator(".sc-case__title", has_text="Mode de garde extérieur").first).to_be_visible()
    expect(page.locator(".sc-encadre").first).to_be_visible()
    expect(page.locator(".sc-step .sc-content__list li").first).to_be_visible()
    expect(page.locator(".sc-content a", has_text="déclaration de grossesse").first).to_have_attribute(
        "href", re.compile(r"/vosdroits/F968$")
    )
    expect(page.locator(".sc-content h4", has_text="Aides").first).to_be_visible()
    offices = page.locator(".sc-office")
    assert offices.count() > 5
    for i in range(offices.count()):
        office = offices.nth(i)
        assert office.get_attribute("data-classe") in {"guichet", "reseau", "profession", "annuaire"}
        links = office.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        names = office.locator(".sc-body-name").count()
        assert names or links, office.inner_text()
        assert all(href.startswith("https://") and " " not in href for href in links), links
    page.screenshot(path=SHOTS / "attends-un-enfant.png", full_page=True)
    assert_accessible(page)


def test_unanswered_questions_are_said_then_the_journey_says_what_it_leaves_out(page: Page) -> None:
    page.goto("/moments-de-vie/je-demenage/")
    page.get_by_label("Locataire", exact=True).check(force=True)
    commune_field(page).fill("34274")
    page.get_by_role("button", name="Voir mon parcours").click()
    notice = page.locator("#reponses-manquantes")
    expect(notice).to_contain_text("Situation professionnelle")
    page.screenshot(path=SHOTS / "reponses-manquantes.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("link", name="voir le parcours sans ces démarches").click()
    expect(page.locator("#sans-reponse")).to_contain_text("Situation professionnelle")


def test_the_linked_journey_is_a_link_to_its_own_questionnaire(page: Page) -> None:
    page.goto(JOURNEY)
    linked = page.locator(".sc-linked").get_by_role("link", name="J'ai besoin de faire garder mes enfants")
    expect(linked).to_have_count(1)
    expect(page.locator(".sc-step__title", has_text="faire garder")).to_have_count(0)  # never expanded
    linked.click()
    expect(page).to_have_url(re.compile(r"/moments-de-vie/j-ai-besoin-de-faire-garder-mes-enfants/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("J'ai besoin de faire garder mes enfants")
    expect(commune_field(page)).to_be_visible()


def test_print_shows_the_steps_without_header_forms_or_buttons(page: Page) -> None:
    page.goto(JOURNEY)
    page.emulate_media(media="print")
    expect(page.locator(".fr-header")).to_be_hidden()
    expect(page.locator(".fr-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer ou enregistrer en PDF")).to_be_hidden()
    expect(page.locator("#essentiel")).to_be_visible()
    expect(page.locator(".sc-print-only")).to_be_visible()
    expect(page.locator('.sc-competent:has(li[data-fiche="F22730"])')).to_be_visible()
    after = page.locator('.sc-fiche[data-fiche="F1168"] > a').evaluate("el => getComputedStyle(el, '::after').content")
    assert "service-public.fr" in after and "F1168" in after  # the link's address printed as text
    page.screenshot(path=SHOTS / "parcours-impression.png", full_page=True)
    page.emulate_media(media="screen")
    expect(page.get_by_role("button", name="Imprimer ou enregistrer en PDF")).to_be_visible()


def test_mobile_rendering(browser: Browser, server) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport=MOBILE, is_mobile=True)
    try:
        page = context.new_page()
        page.goto("/moments-de-vie/je-demenage/")
        commune_field(page).press_sequentially("Saint-Martin-de", delay=20)
        expect(page.locator("#suggestions button").first).to_be_visible()
        page.screenshot(path=SHOTS / "questionnaire-mobile.png", full_page=True)
        page.goto(JOURNEY)
        expect_done_when(page)
        page.screenshot(path=SHOTS / "parcours-mobile.png", full_page=True)
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= MOBILE["width"], f"la page déborde horizontalement ({width} px)"
    finally:
        context.close()


def test_errors_are_french_pages_not_crashes(page: Page) -> None:
    response = page.goto("/moments-de-vie/je-n-existe-pas/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.locator("main")).to_contain_text("Moment de vie inconnu")

    response = page.goto("/moments-de-vie/je-demenage/parcours?commune=34274&choix=locataire&choix=proprietaire")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Deux réponses à la même question")

    response = page.goto("/moments-de-vie/je-demenage/parcours?commune=Zzyzx-sur-Rien&choix=locataire")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("Aucune commune ne s'appelle « Zzyzx-sur-Rien »")
    assert_accessible(page)
    expect(commune_field(page)).to_have_value("Zzyzx-sur-Rien")
    expect(page.get_by_label("Locataire", exact=True)).to_be_checked()
