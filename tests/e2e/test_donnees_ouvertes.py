"""The open data page (issue 15): a visitor finds it from the footer, sees the national dataset and downloads it;
the page is accessible (axe, 0 violations)."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e


def test_a_visitor_finds_and_downloads_the_national_dataset(page: Page, server) -> None:  # noqa: ANN001
    server.manage("export", "qui-fait-quoi", timeout=600)  # the operator's step after an import (ADR 020)
    page.goto("/")
    page.get_by_role("link", name="Données ouvertes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
    card = page.locator("#qui-fait-quoi")
    expect(card.get_by_role("heading", level=2)).to_have_text("Qui fait quoi, dans chaque commune")
    expect(card).to_contain_text("34\u202f969 communes")
    expect(card.get_by_role("link", name="Télécharger le jeu de données (tableur)")).to_contain_text("CSV – ")
    expect(page.get_by_role("table")).to_contain_text("siren")
    page.screenshot(path="/tmp/opendata-page.png", full_page=True)  # noqa: S108 (to look at, as the brief asks)
    assert_accessible(page, context="page des données ouvertes")
    with page.expect_download() as download:
        card.get_by_role("link", name="Télécharger le jeu de données (analyse)").click()
    assert download.value.suggested_filename.startswith("qui-fait-quoi-")
    assert download.value.suggested_filename.endswith(".parquet")
