"""projets-territoire (schema.data.gouv.fr, v0.1.0): exports validated by frictionless against the published
schema, imports of the same (the schema's own example file included), and the reviewed M57 mapping."""

import csv
import json
from pathlib import Path

import pytest

from sanscouture.competences.catalogue import catalogue
from sanscouture.contracts.errors import FileInvalid, NotAuthorised
from sanscouture.contracts.models import ActionSheet
from sanscouture.contracts.projets_territoire import export_sheets, m57_labels, m57_mapping, validation_errors
from sanscouture.contracts.services import projets_import

from .conftest import CC

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "projets-territoire" / "exemple-valide.csv"
PERSONAL = ("porteurReferentEmail", "porteurReferentTelephone", "porteurReferentPrenom", "porteurReferentNom")


def test_every_competence_has_a_reviewed_m57_line():
    mapping, labels = m57_mapping(), m57_labels()
    assert set(mapping) == set(catalogue().competences), "une compétence du catalogue sans ligne M57 (ou l'inverse)"
    for code, entry in mapping.items():
        assert len(entry["raison"].strip()) > 10, code
        unknown = [f for f in entry["m57"] if f not in labels]
        assert not unknown, f"{code} : fonctions absentes du référentiel M57 {unknown}"
    assert mapping["routes-departementales"]["m57"] == ["90-843"]  # « Voirie départementale »
    assert labels["90-843"] == "Voirie > Voirie départementale"


@pytest.mark.django_db
def test_export_conforms_to_the_published_schema_and_carries_no_personal_data(crte):
    crte.sheet.levers = ["Vélo", "pas un levier SGPE"]
    crte.sheet.save()
    records, data = export_sheets(ActionSheet.objects.select_related("contract"))
    assert validation_errors(data) == []
    record = records[0]
    assert record["id"] == str(crte.sheet.uid) and record["nom"] == "Pôle d'échanges multimodal"
    assert (record["phase"], record["phaseStatut"], record["programme"]) == ("Idée", "En cours", "CRTE")
    assert "90-82" in record["competences"] and "90-845" in record["competences"]
    assert record["leviers"] == ["Vélo"]  # outside the SGPE list: not exported
    assert all(record[f] is None for f in PERSONAL) and record["porteurCodeSiret"] is None
    row = next(csv.DictReader(data.decode().splitlines()))
    assert json.loads(row["competences"]) == record["competences"]


@pytest.mark.django_db
def test_import_the_schema_example_then_reimport_updates(crte):
    data = EXAMPLE.read_bytes()
    report = projets_import(contract=crte.contract, data=data, fmt="csv", pilot=crte.bodies[CC], actor=crte.cc_admin)
    assert (report.created, report.updated) == (5, 0)
    bikes = ActionSheet.objects.get(uid="01890e30-5a80-7c22-9842-8263d0d0d891")
    assert bikes.title == "Développement d'un réseau de pistes cyclables"
    assert (bikes.phase, bikes.phase_status, bikes.planned_budget) == ("operation", "termine", 750000)
    # 90-84 « Voirie » maps to no catalogue line by itself; 90-87 « Circulations douces » to the AOM's.
    assert bikes.competences == ["mobilite-aom"] and bikes.levers == ["Vélo", "Réduction des déplacements"]
    assert bikes.communes.count() == 36 and bikes.external_ids == {
        "mecId": "MEC-7653",
        "tetId": "12346",
        "recocoId": "REC-789",
    }
    again = projets_import(contract=crte.contract, data=data, fmt="csv", pilot=crte.bodies[CC], actor=crte.cc_admin)
    assert (again.created, again.updated) == (0, 5)
    # Round trip through JSON: the export of these sheets imports as updates of the same sheets.
    records, _ = export_sheets(crte.contract.sheets.select_related("contract"))
    payload = json.dumps(records).encode()
    back = projets_import(contract=crte.contract, data=payload, fmt="json", pilot=crte.bodies[CC], actor=crte.cc_admin)
    assert (back.created, back.updated) == (0, 6)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("Étude", "Etude"), "phase"),
        (('"[""90-211"",""90-212""]"', '"pas un tableau"'), "competences"),
        (("21690123400019", "2169012340001"), "porteurCodeSiret"),
        (("2025-04-15T14:30:00.000Z", "15/04/2025"), "createdAt"),
    ],
)
def test_a_file_off_the_schema_is_refused_whole(crte, change, where):
    data = EXAMPLE.read_text(encoding="utf-8").replace(*change, 1).encode()
    with pytest.raises(FileInvalid) as exc:
        projets_import(contract=crte.contract, data=data, fmt="csv", pilot=crte.bodies[CC], actor=crte.cc_admin)
    assert f"ligne 2, champ « {where} »" in exc.value.message
    assert ActionSheet.objects.count() == 1  # the fixture's sheet only


@pytest.mark.django_db
def test_only_signatories_import(crte, referential):
    outsider = referential.agent("region:76", "admin")
    with pytest.raises(NotAuthorised):
        projets_import(
            contract=crte.contract, data=EXAMPLE.read_bytes(), fmt="csv", pilot=crte.bodies[CC], actor=outsider
        )


@pytest.mark.django_db
def test_api_export_and_import(client, crte, referential):
    from sanscouture.accounts.services import api_token_create

    _, raw = api_token_create(body=crte.bodies[CC], name="t", role="referent", created_by=crte.cc_admin)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    records = client.get(f"/api/v1/contrats/{crte.contract.pk}/projets-territoire", **auth).json()
    assert [r["id"] for r in records] == [str(crte.sheet.uid)]
    records[0]["nom"] = "Pôle d'échanges multimodal de Saint-Martin-de-Londres"
    url = f"/api/v1/contrats/{crte.contract.pk}/projets-territoire"
    r = client.post(url, {"pilote": crte.bodies[CC].pk, "projets": records}, content_type="application/json", **auth)
    assert r.status_code == 201 and r.json() == {"crees": 0, "mis_a_jour": 1}
    crte.sheet.refresh_from_db()
    assert crte.sheet.title.endswith("Saint-Martin-de-Londres")
    records[0]["phase"] = "Chantier"
    r = client.post(url, {"pilote": crte.bodies[CC].pk, "projets": records}, content_type="application/json", **auth)
    assert r.status_code == 400 and r.json()["erreur"]["code"] == "fichier_invalide"
    referential.login(client, crte.cc_admin)
    csv_export = client.get(f"/contrats/{crte.contract.pk}/projets-territoire.csv")
    assert csv_export.status_code == 200 and validation_errors(csv_export.content) == []
