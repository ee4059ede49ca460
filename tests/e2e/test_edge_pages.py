"""The French error page of the edge (issue 7): a refused address, in a real browser, accessible."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e


def test_a_nul_in_the_address_shows_the_french_error_page(page: Page) -> None:
    response = page.goto("/moments-de-vie/je%00/")
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Requête invalide")
    expect(page.get_by_role("alert")).to_contain_text("Caractère interdit dans l'adresse : NUL (U+0000).")
    expect(page.get_by_role("link", name="Retour à l'accueil")).to_be_visible()
    page.screenshot(path="/tmp/sec-erreur-400.png", full_page=True)  # noqa: S108 (to look at, as the brief asks)
    assert_accessible(page, context="page d'erreur 400")


def test_an_unknown_address_shows_the_french_404_page(page: Page) -> None:
    response = page.goto("/page-qui-nexiste-pas/")
    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_role("link", name="Qui fait quoi ? (accueil)")).to_be_visible()
    assert_accessible(page, context="page d'erreur 404")


def test_the_logout_address_and_a_stale_form_show_french_pages(page: Page) -> None:
    page.goto("/deconnexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se déconnecter")
    expect(page.get_by_text("il n'y a pas de session à fermer")).to_be_visible()
    assert_accessible(page, context="déconnexion sans session")
    # A form whose security token is gone (a page left open too long, cookies cleared): the CSRF refusal page.
    page.goto("/connexion/")
    page.context.clear_cookies()
    page.get_by_role("textbox", name="Identifiant", exact=True).fill("personne")
    page.get_by_label("Mot de passe").fill("motdepasse-solide-42")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Se connecter").click()
    assert answer.value.status == 403
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Formulaire expiré ou non vérifié")
    expect(page.get_by_text("rien n'a été enregistré")).to_be_visible()
    page.screenshot(path="/tmp/sec-erreur-csrf.png", full_page=True)  # noqa: S108 (to look at)
    assert_accessible(page, context="formulaire périmé (CSRF)")
