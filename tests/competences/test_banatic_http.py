"""Issue 9, done when: after `sanscouture import banatic`, the API over real HTTP names the syndicat that holds
drinking water in the imported rows, with BANATIC as the reason (the browser check is tests/e2e/test_banatic.py)."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "banatic"


@pytest.fixture(scope="module")
def imported(server):  # noqa: ANN001, ANN201
    out = server.manage(
        "import",
        "banatic",
        str(FIXTURES / "banatic-france-extrait.xlsx"),
        "--date",
        "2025-03-12",
        "--communes",
        str(FIXTURES / "correspondance-siren-insee-extrait.csv"),
    )
    assert "BANATIC, export du 12/03/2025" in out
    return server


@pytest.mark.parametrize("code", ["34023", "34108", "34333"])  # Balaruc-les-Bains, Frontignan, Vic-la-Gardiole
def test_the_api_names_the_syndicat_for_water_with_banatic_as_the_reason(imported, code):
    status, body = imported.get(f"/api/v1/communes/{code}/competences/eau-potable")
    assert status == 200
    answer = json.loads(body)
    assert [s["cle"] for s in answer["structures"]] == ["banatic:253402143"]
    assert answer["structures"][0]["type"] == "syndicat"
    assert answer["raison"]["type"] == "banatic"
    assert answer["raison"]["references"] == ["BANATIC (export du 12/03/2025, code 4020)"]
    assert [o["type"] for o in answer["raison"]["autres_sources"]] == ["loi"]


def test_a_commune_outside_the_syndicat_keeps_the_law(imported):
    status, body = imported.get("/api/v1/communes/34301/competences/eau-potable")  # Sète
    assert status == 200
    assert json.loads(body)["raison"]["type"] == "loi"
