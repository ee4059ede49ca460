"""Pages: the contract summarises its sheets' levers, the sheet names the holders that are not partners, a body's
page lists the sheets where it holds a lever."""

from html import unescape

import pytest

from .conftest import REGION

pytestmark = pytest.mark.django_db


def _page(client, url: str) -> str:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.content.decode())


def test_sheet_page_flags_the_region_as_holder_but_not_partner(client, crte, referential):
    referential.login(client, referential.agent("caf:22", "agent"))  # any agent reads
    region = crte.bodies[REGION]
    sheet = _page(client, f"/fiches/{crte.sheet.pk}/")
    assert (
        f"La compétence « Organisation de la mobilité (AOM) » est exercée par {region.name}, qui n'est pas partenaire "
        "de cette fiche" in sheet
    )
    contract = _page(client, f"/contrats/{crte.contract.pk}/")
    assert "Pôle d'échanges multimodal" in contract and f"Organisation de la mobilité (AOM) : {region.name}" in contract
    body = _page(client, f"/structures/{region.pk}/leviers/")
    assert "Pôle d'échanges multimodal" in body and "non partenaire" in body
    listing = _page(client, "/contrats/?commune=34274")
    assert "CRTE du Grand Pic Saint-Loup" in listing
    assert "CRTE du Grand Pic Saint-Loup" in _page(client, "/contrats/?commune=Saint-Martin-de-Londres")
    assert "CRTE du Grand Pic Saint-Loup" not in _page(client, "/contrats/?commune=22278")
    assert client.get("/contrats/?commune=99999").status_code == 400
