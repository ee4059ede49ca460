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
    caf22 = referential.body("caf:22")
    assert f'href="/structures/{caf22.pk}/leviers/"' in listing  # the agent's own body's levers
    assert "CRTE du Grand Pic Saint-Loup" in _page(client, "/contrats/?commune=Saint-Martin-de-Londres")
    assert "CRTE du Grand Pic Saint-Loup" not in _page(client, "/contrats/?commune=22278")
    assert client.get("/contrats/?commune=99999").status_code == 400


def test_the_funder_records_its_decision_on_the_sheet_page(client, crte, referential):
    from decimal import Decimal

    from sanscouture.contracts.models import BudgetLine
    from sanscouture.contracts.services import budget_line_add

    from .conftest import DEPARTEMENT

    line = budget_line_add(
        sheet=crte.sheet,
        funder=crte.bodies[DEPARTEMENT],
        total=Decimal(400000),
        amount=Decimal(150000),
        actor=crte.cc_admin,
    )
    referential.login(client, crte.dep_admin)
    assert f'id="decision-{line.pk}"' in _page(client, f"/fiches/{crte.sheet.pk}/")
    url, prefix = f"/lignes-budgetaires/{line.pk}/statut", f"ligne{line.pk}"
    over = client.post(url, {f"{prefix}-status": "accorde", f"{prefix}-amount": "400001"})
    assert over.status_code == 302 and BudgetLine.objects.get().status == "sollicite"  # above the total: nothing
    ok = client.post(url, {f"{prefix}-status": "accorde", f"{prefix}-amount": "120000", f"{prefix}-on": "2026-02-03"})
    assert ok.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.amount, str(line.on)) == ("accorde", Decimal(120000), "2026-02-03")
    # The Région holds a lever but does not fund this line: no form, and its post is refused.
    referential.login(client, referential.agent("region:76", "admin"))
    assert f'id="decision-{line.pk}"' not in _page(client, f"/fiches/{crte.sheet.pk}/")
    assert client.post(url, {f"{prefix}-status": "verse"}).status_code == 403
    line.refresh_from_db()
    assert line.status == "accorde"
