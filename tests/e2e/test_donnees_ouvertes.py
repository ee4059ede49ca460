"""The open data page (issue 15): a visitor finds it from the footer, sees the national dataset and the data·inclusion
exports with their quality score, and downloads them; the page is accessible (axe, 0 violations)."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e


def test_a_visitor_finds_and_downloads_the_national_dataset(page: Page, server) -> None:  # noqa: ANN001
    server.manage("export", "qui-fait-quoi", timeout=600)  # the operator's step after an import (ADR 020)
    server.manage("export", "data-inclusion", timeout=900)
    page.goto("/")
    page.get_by_role("link", name="Données ouvertes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
    card = page.locator("#qui-fait-quoi")
    expect(card.get_by_role("heading", level=2)).to_have_text("Qui fait quoi, dans chaque commune")
    expect(card).to_contain_text("34\u202f969 communes")
    expect(card.get_by_role("link", name="Télécharger le jeu de données (tableur)")).to_contain_text("CSV – ")
    expect(page.get_by_role("table").filter(has_text="Colonnes du jeu")).to_contain_text("siren")
    # The data·inclusion exports: both files, the API, and the quality score per criterion.
    inclusion = page.locator("#data-inclusion")
    expect(inclusion.get_by_role("heading", level=2)).to_have_text("Structures et services au format data·inclusion")
    expect(inclusion.get_by_role("link", name="Télécharger les services")).to_contain_text("JSON – ")
    expect(inclusion).to_contain_text("/api/v1/opendata/data-inclusion/structures")
    scores = page.get_by_role("table").filter(has_text="Score de qualité data·inclusion")
    expect(scores).to_contain_text("description_bien_definie")
    page.screenshot(path="/tmp/opendata-page.png", full_page=True)  # noqa: S108 (to look at, as the brief asks)
    assert_accessible(page, context="page des données ouvertes")
    with page.expect_download() as download:
        card.get_by_role("link", name="Télécharger le jeu de données (analyse)").click()
    assert download.value.suggested_filename.startswith("qui-fait-quoi-")
    assert download.value.suggested_filename.endswith(".parquet")
    with page.expect_download() as download:
        inclusion.get_by_role("link", name="Télécharger les structures").click()
    assert download.value.suggested_filename.startswith("data-inclusion-structures-")
