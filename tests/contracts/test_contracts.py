"""Contracts, action sheets, levers held by the others: services, selectors and the API of issue 14."""

from datetime import date
from decimal import Decimal

import pytest

from sanscouture.accounts.services import api_token_create
from sanscouture.contracts.errors import (
    AmountInvalid,
    BodyInvalid,
    CommuneOutsideContract,
    CompetenceInvalid,
    NotAuthorised,
    PerimeterInvalid,
    PerimeterOutsideSignatories,
)
from sanscouture.contracts.models import ActionSheet, BudgetLine, Contract
from sanscouture.contracts.selectors import levers_held_by, sheet_levers, sheets_touching
from sanscouture.contracts.services import budget_line_add, budget_line_set, contract_create, sheet_create

from .conftest import CC, COMMUNES, DEPARTEMENT, PREFECTURE, REGION

pytestmark = pytest.mark.django_db


def test_the_region_holds_mobility_and_is_flagged_as_not_a_partner(crte):
    levers = sheet_levers(crte.sheet)
    assert len(levers) == 9  # three communes × three competences, one holder each here
    mobility = [lv for lv in levers if lv.competence == "mobilite-aom"]
    assert {lv.holder.key for lv in mobility} == {REGION}
    assert not any(lv.partner for lv in mobility)
    # The voirie communale stays with each mairie (a CC takes it only as « intérêt communautaire »): not partners.
    voirie = {lv.commune: lv for lv in levers if lv.competence == "voirie-communale"}
    assert {c: lv.holder.key for c, lv in voirie.items()} == {c: f"mairie:{c}" for c in COMMUNES}
    assert not any(lv.partner for lv in voirie.values())


def test_a_holder_becomes_a_partner_when_it_joins_the_sheet(crte):
    crte.sheet.partners.add(crte.bodies[REGION])
    assert all(lv.partner for lv in sheet_levers(crte.sheet) if lv.competence == "mobilite-aom")


def test_a_body_lists_the_sheets_where_it_holds_a_lever(crte, referential):
    held = levers_held_by(crte.bodies[REGION])
    assert [h.sheet for h in held] == [crte.sheet]
    assert held[0].partner is False and len(held[0].communes) == 3
    assert levers_held_by(referential.body("region:53")) == []  # Bretagne: nothing here


def test_sheets_touching_names_pilot_and_partners(crte):
    found = sheets_touching(commune_codes=["34274"], competence_codes=["voirie-communale", "routes-departementales"])
    assert len(found) == 1 and found[0].sheet == crte.sheet
    assert found[0].pilot.key == CC
    assert {b.key for b in found[0].partners} == {DEPARTEMENT, PREFECTURE}
    assert found[0].communes == ("34274",) and found[0].competences == ("voirie-communale",)
    assert sheets_touching(commune_codes=["34274"], competence_codes=["ecoles"]) == []
    assert sheets_touching(commune_codes=["22278"], competence_codes=["voirie-communale"]) == []
    crte.sheet.phase_status = "abandonne"
    crte.sheet.save()
    assert sheets_touching(commune_codes=["34274"], competence_codes=["voirie-communale"]) == []


def _contract(referential, actor, perimeter, signatories):  # noqa: ANN001, ANN202
    return contract_create(
        kind="crte",
        title="Essai",
        perimeter=perimeter,
        signatories=[(referential.body(k), "signataire") for k in signatories],
        start=date(2024, 1, 1),
        end=None,
        actor=actor,
    )


def test_a_perimeter_outside_the_signatories_territories_is_refused(referential):
    admin = referential.agent(CC, "admin")
    before = Contract.objects.count()
    with pytest.raises(PerimeterOutsideSignatories) as exc:
        _contract(referential, admin, ["commune:34274", "commune:22278"], [CC])
    assert exc.value.details["communes"] == ["22278"]
    with pytest.raises(PerimeterOutsideSignatories):
        _contract(referential, admin, ["departement:34"], [CC])  # the whole département: not the CC's
    with pytest.raises(PerimeterInvalid):
        _contract(referential, admin, ["canton:3412"], [CC])
    with pytest.raises(PerimeterInvalid):
        _contract(referential, admin, ["commune:99999"], [CC])
    assert Contract.objects.count() == before
    # With the Département as a signatory, the département is within the signatories' territories.
    referential.agent(DEPARTEMENT, "admin", username="dep-admin-2")
    contract = _contract(referential, admin, ["departement:34"], [CC, DEPARTEMENT])
    assert contract.communes.count() > 300


def test_only_those_who_may_act_for_a_signatory_create_a_contract(referential):
    agent = referential.agent(CC, "agent")  # an agent, not a référent: cannot commit the CC
    foreign = referential.agent("mairie:22278", "admin")
    for actor in (agent, foreign):
        with pytest.raises(NotAuthorised):
            _contract(referential, actor, ["commune:34274"], [CC])
    assert not Contract.objects.exists()


def test_sheet_bad_input_changes_nothing(crte, referential):
    before = ActionSheet.objects.count()
    common = {"contract": crte.contract, "title": "x", "pilot": crte.bodies[CC], "actor": crte.cc_admin}
    with pytest.raises(CommuneOutsideContract):
        sheet_create(**common, partners=[], competences=["plu"], communes=[referential.commune("34172")])
    with pytest.raises(CompetenceInvalid):
        sheet_create(**common, partners=[], competences=["pas-une-competence"], communes=[referential.commune("34274")])
    inactive = referential.body("caf:34")
    inactive.active = False
    inactive.save()
    with pytest.raises(BodyInvalid):
        sheet_create(**common, partners=[inactive], competences=["plu"], communes=[referential.commune("34274")])
    assert ActionSheet.objects.count() == before


def test_budget_amounts_are_never_negative_nor_above_the_total(crte):
    dep = crte.bodies[DEPARTEMENT]
    for total, amount in ((Decimal(1000), Decimal(-1)), (Decimal(-5), Decimal(0)), (Decimal(1000), Decimal(1001))):
        with pytest.raises(AmountInvalid):
            budget_line_add(sheet=crte.sheet, funder=dep, total=total, amount=amount, actor=crte.cc_admin)
    assert not BudgetLine.objects.exists()
    line = budget_line_add(
        sheet=crte.sheet, funder=dep, total=Decimal(400000), amount=Decimal(150000), actor=crte.cc_admin
    )
    # The funder records its own decision (its administrators), within the line's total.
    with pytest.raises(AmountInvalid):
        budget_line_set(line=line, status="accorde", amount=Decimal(500000), actor=crte.dep_admin)
    budget_line_set(line=line, status="accorde", amount=Decimal(120000), on=date(2025, 3, 1), actor=crte.dep_admin)
    line.refresh_from_db()
    assert (line.status, line.amount) == ("accorde", Decimal(120000))
    stranger = api_token_create(body=crte.bodies[REGION], name="r", role="referent", created_by=crte.cc_admin)[0]
    with pytest.raises(NotAuthorised):
        budget_line_set(line=line, status="verse", actor=stranger.service_user)


# --- API (item 7) ----------------------------------------------------------------------------------------------------


def _token(referential, key: str, role: str = "referent") -> dict[str, str]:  # noqa: ANN001
    admin = referential.agent(key, "admin", username=f"tok-{key}")
    _, raw = api_token_create(body=referential.body(key), name="t", role=role, created_by=admin)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_walk_with_tokens_acting_as_their_body(client, referential):
    cc, dep, pref = (referential.body(k) for k in (CC, DEPARTEMENT, PREFECTURE))
    auth = _token(referential, CC)
    payload = {
        "type": "crte",
        "titre": "CRTE du Grand Pic Saint-Loup",
        "perimetre": ["epci:200022986"],
        "signataires": [cc.pk, pref.pk, dep.pk],
        "roles": ["porteur", "État", "cosignataire"],
        "debut": "2022-01-01",
        "fin": "2026-12-31",
    }
    r = client.post("/api/v1/contrats", payload, content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    contract = r.json()
    assert contract["type"] == "crte" and len(contract["communes"]) == 36
    assert [s["role"] for s in contract["signataires"]] == ["porteur", "État", "cosignataire"]
    sheet_in = {
        "titre": "Pôle d'échanges multimodal",
        "pilote": cc.pk,
        "partenaires": [dep.pk],
        "competences": ["mobilite-aom", "voirie-communale", "plu"],
        "communes": COMMUNES,
        "phase": "etude",
    }
    r = client.post(f"/api/v1/contrats/{contract['id']}/fiches", sheet_in, content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    sheet = r.json()
    levers = client.get(f"/api/v1/fiches/{sheet['id']}/leviers", **auth).json()
    assert set(levers[0]) >= {"commune", "competence", "structure", "partenaire"}
    assert set(levers[0]["structure"]) >= {"id", "cle", "nom"}
    region = [lv for lv in levers if lv["competence"] == "mobilite-aom"]
    assert {lv["structure"]["cle"] for lv in region} == {REGION} and not any(lv["partenaire"] for lv in region)
    # Any agent's token reads (the Région sees where it holds a lever); the commune's contract list.
    other = _token(referential, "caf:22", role="agent")
    assert client.get(f"/api/v1/contrats/{contract['id']}", **other).json()["fiches"][0]["id"] == sheet["id"]
    assert [c["id"] for c in client.get("/api/v1/communes/34274/contrats", **other).json()] == [contract["id"]]
    assert client.get("/api/v1/communes/22278/contrats", **other).json() == []
    held = client.get(f"/api/v1/structures/{referential.body(REGION).pk}/leviers", **other).json()
    assert [h["fiche"] for h in held] == [sheet["id"]] and held[0]["partenaire"] is False
    # Another body's token cannot write in this contract; anonymous callers get 401.
    r = client.post(f"/api/v1/contrats/{contract['id']}/fiches", sheet_in, content_type="application/json", **other)
    assert r.status_code == 403 and r.json()["erreur"]["code"] == "non_autorise"
    assert client.get("/api/v1/contrats").status_code == 401
    # Budget line of the Département, granted by the Département's own token.
    line_in = {"financeur": dep.pk, "total": 400000, "montant": 150000, "statut": "sollicite"}
    r = client.post(
        f"/api/v1/fiches/{sheet['id']}/lignes-budgetaires", line_in, content_type="application/json", **auth
    )
    assert r.status_code == 201, r.content
    dep_auth = _token(referential, DEPARTEMENT)
    r = client.post(
        f"/api/v1/lignes-budgetaires/{r.json()['id']}/statut",
        {"statut": "accorde", "montant": 120000, "date": "2025-03-01"},
        content_type="application/json",
        **dep_auth,
    )
    assert r.status_code == 200 and r.json()["statut"] == "accorde"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"perimetre": ["commune:22278"]}, "perimetre_hors_territoire"),
        ({"perimetre": ["n'importe quoi"]}, "perimetre_invalide"),
        ({"signataires": [999999]}, "structure_invalide"),
        ({"type": "inconnu"}, "requete_invalide"),
        ({"statut": "signe", "proprietaire": 1}, "requete_invalide"),  # no mass assignment
    ],
)
def test_api_bad_contracts_change_nothing(client, referential, change, code):
    auth = _token(referential, CC)
    payload = {
        "type": "crte",
        "titre": "Essai",
        "perimetre": ["commune:34274"],
        "signataires": [referential.body(CC).pk],
        "debut": "2024-01-01",
        **change,
    }
    r = client.post("/api/v1/contrats", payload, content_type="application/json", **auth)
    assert r.status_code in (400, 422) and r.json()["erreur"]["code"] == code
    assert not Contract.objects.exists()


def test_api_negative_amount_is_refused(client, crte, referential):
    auth = _token(referential, CC)
    url = f"/api/v1/fiches/{crte.sheet.pk}/lignes-budgetaires"
    for body in ({"total": 100, "montant": -1}, {"total": 100, "montant": 101}):
        payload = {"financeur": crte.bodies[DEPARTEMENT].pk, **body}
        r = client.post(url, payload, content_type="application/json", **auth)
        assert r.status_code == 400 and r.json()["erreur"]["code"] == "montant_invalide"
    assert not BudgetLine.objects.exists()
