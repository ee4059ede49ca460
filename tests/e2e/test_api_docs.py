"""The API documentation (issue 8, point 10): a French DSFR page built from the OpenAPI document, accessible."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e


def test_the_api_menu_opens_the_french_documentation(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="API").click()
    expect(page).to_have_url("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Documentation de l'API")
    expect(page.get_by_role("link", name="le document OpenAPI (JSON)")).to_have_attribute(
        "href", "/api/v1/openapi.json"
    )

    # The table of contents leads to each operation, grouped by theme.
    summary = page.get_by_role("navigation", name="Sommaire")
    summary.get_by_role("link", name="POST /api/v1/dossiers", exact=True).click()
    declare = page.locator("article", has=page.get_by_role("heading", name="POST /api/v1/dossiers", exact=True))
    expect(declare).to_contain_text("Déclarer une seule fois")
    expect(declare).to_contain_text(
        "Qui peut l'appeler : session d'agent, jeton d'API, sans authentification (accès anonyme)."
    )
    expect(declare.get_by_role("table", name="Corps de la requête de POST /api/v1/dossiers (CaseIn)")).to_be_visible()
    expect(declare.get_by_role("row", name="429")).to_contain_text("Retry-After")
    expect(declare.get_by_role("row", name="409")).to_contain_text("enveloppe d'erreur")

    tasks = page.locator("article", has=page.get_by_role("heading", name="GET /api/v1/taches", exact=True))
    expect(tasks).to_contain_text("Qui peut l'appeler : session d'agent, jeton d'API.")
    expect(page.get_by_role("heading", level=2, name="S'authentifier")).to_be_visible()
    expect(page.locator("#authentification ~ ul")).to_contain_text("Authorization: Bearer <jeton>")
    page.screenshot(path="/tmp/ergo2-api-docs.png", full_page=False)  # noqa: S108 (to look at, as the brief asks)
    assert_accessible(page, context="documentation de l'API")
