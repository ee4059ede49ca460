"""The demo CRTE (issue 14 « Done when »): seeded once by `sanscouture demo`, its levers as the issue states."""

from io import StringIO

import pytest
from django.core.management import call_command

from sanscouture.contracts.models import BudgetLine, Contract
from sanscouture.contracts.selectors import sheet_levers, sheets_touching

pytestmark = pytest.mark.django_db


def test_demo_crte_is_seeded_once_with_the_region_flagged(referential):
    out = StringIO()
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=out)
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=StringIO())
    contract = Contract.objects.get()
    assert f"/contrats/{contract.pk}/" in out.getvalue()
    assert {s.body.key for s in contract.signatories.all()} == {"epci:200022986", "prefecture:34", "departement:34"}
    sheet = contract.sheets.get()
    mobility = [lv for lv in sheet_levers(sheet) if lv.competence == "mobilite-aom"]
    assert {lv.holder.key for lv in mobility} == {"region:76"} and not any(lv.partner for lv in mobility)
    line = BudgetLine.objects.get(sheet=sheet)
    assert line.funder.key == "departement:34" and line.status == "accorde"
    # A declared action of the Département on routes départementales at Saint-Martin-de-Londres touches the sheet.
    touched = sheets_touching(commune_codes=["34274"], competence_codes=["routes-departementales"])
    assert [t.sheet for t in touched] == [sheet]
    assert {b.key for b in touched[0].partners} == {"departement:34", "prefecture:34"}
