"""'Qui fait quoi ?' after a BANATIC import: the syndicat that holds drinking water is named, BANATIC is the
reason, and what the law would say is shown (issue 9, done when)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parents[1] / "fixtures" / "banatic"


def test_frontignan_water_is_the_syndicat_according_to_banatic(page: Page, server, tmp_path) -> None:  # noqa: ANN001
    from tests.e2e.conftest import assert_accessible

    server.manage(
        "import",
        "banatic",
        str(FIXTURES / "banatic-france-extrait.xlsx"),
        "--date",
        "2025-03-12",
        "--communes",
        str(FIXTURES / "correspondance-siren-insee-extrait.csv"),
    )
    page.goto("/?code=34108")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à Frontignan ?")
    water = page.locator('tr[data-competence="eau-potable"]')
    expect(water.locator("td").nth(0)).to_contain_text("Syndicat 253402143 (BANATIC)")
    expect(water).to_contain_text("BANATIC (export du 12/03/2025, code 4020)")
    expect(water.locator(".sc-disagreement")).to_have_text(
        "Autres sources : La loi désignerait : CA Sète Agglopôle Méditerranée."
    )
    assert_accessible(page, context="Frontignan après import BANATIC")
    water.screenshot(path=tmp_path / "frontignan-eau.png")
    page.screenshot(path=tmp_path / "frontignan.png", full_page=True)
