"""Import of the Annuaire de l'administration: offices, contact details, routing by pivot.

Inputs are the REAL example records of tests/fixtures/annuaire/ (copied verbatim from
/work/shared/reference and DATA_FORMATS.md §1.4 (a)). Their communes (27115 in Eure, 77188 in
Seine-et-Marne, 01053 in Ain) are outside the test referential subset, so each test changes ONLY the INSEE
codes and ids it needs (and, where said, the pivot or hierarchy); every other value is the real one.
"""

import bz2
import copy
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from sanscouture.bodies.importers import annuaire_import
from sanscouture.bodies.models import Body
from sanscouture.competences.routing import route_pivot, routing_index_invalidate
from sanscouture.errors import ImportFailed

FIXTURES = Path(__file__).parent.parent / "fixtures" / "annuaire"
EXPORT_2021 = FIXTURES / "annuaire_example_export_2021.json"
RECORD_2023 = FIXTURES / "annuaire_example_2023_acceslibre.json"
ORGANISME_XML = FIXTURES / "annuaire_example_organisme_v2.xml"
SAINT_MARTIN = "34274"  # Saint-Martin-de-Londres (Hérault), in the subset
MONTPELLIER = "34172"
NESTED = ("pivot", "adresse", "telephone", "site_internet", "plage_ouverture", "adresse_courriel", "hierarchie")


def breux_2021(insee: str = SAINT_MARTIN, id_: str | None = None) -> dict:
    """The real 2021 record (Mairie - Breux-sur-Avre), moved to `insee`: only INSEE codes (and id) change."""
    record = json.loads(EXPORT_2021.read_text())["service"][0]
    record["code_insee_commune"] = insee
    record["pivot"][0]["code_insee_commune"] = insee
    if id_:
        record["id"] = id_
    return record


def fontaine_2023(insee: str | None = None, id_: str | None = None) -> dict:
    """The real 2023 record (Mairie - Fontaine-le-Port, 77188); `insee` moves it into the subset."""
    record = json.loads(RECORD_2023.read_text())
    if insee:
        record["code_insee_commune"] = insee
        record["pivot"][0]["code_insee_commune"] = [insee]
    if id_:
        record["id"] = id_
    return record


def api_encoded(record: dict) -> dict:
    """The Opendatasoft API shape: nested fields come back as JSON-encoded strings."""
    out = copy.deepcopy(record)
    for key in NESTED:
        if key in out:
            out[key] = json.dumps(out[key], ensure_ascii=False)
    return out


def nulls_for_empty(value):
    """The data·inclusion fixture shape: null where the bulk file has ""."""
    if isinstance(value, dict):
        return {k: nulls_for_empty(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nulls_for_empty(v) for v in value]
    return None if value == "" else value


def office(record: dict) -> Body:
    return Body.objects.get(key=f"annuaire:{record['id']}")


CONTACT_FIELDS = (
    "name",
    "siren",
    "pivots",
    "commune_id",
    "addresses",
    "phones",
    "emails",
    "websites",
    "opening_hours",
    "annuaire_id",
    "annuaire_url",
    "parent_id",
)


def contact(body: Body) -> dict:
    return {f: getattr(body, f) for f in CONTACT_FIELDS} | {
        "served": sorted(body.served_communes.values_list("insee_code", flat=True))
    }


def test_imported_mairie_answers_the_mairie_pivot_with_the_contact_details_as_given(referential):
    record = breux_2021()
    report = annuaire_import({"service": [record]})
    assert (report.created, report.updated, report.warnings) == (1, 0, [])
    routing_index_invalidate()

    answer = route_pivot("mairie", commune=SAINT_MARTIN)
    assert answer.reason.kind == "annuaire"
    assert [b.name for b in answer.bodies] == ["Mairie - Breux-sur-Avre"]
    body = office(record)
    assert (body.kind, body.source, body.active) == ("office", "annuaire", True)
    assert body.annuaire_id == "0b19da66-336b-4a4d-a56a-1bbf731ec306"
    assert body.annuaire_url == ""  # the 2021 record has no url_service_public: nothing invented
    assert body.siren == ""  # siren and siret are empty in the record
    assert body.pivots == ["mairie"]
    assert body.commune == referential.commune(SAINT_MARTIN)
    assert list(body.served_communes.values_list("insee_code", flat=True)) == [SAINT_MARTIN]
    assert body.addresses == [
        {
            "type": "Adresse",
            "lines": ["10 ancienne route du Mans", "Le Bourg"],
            "postcode": "27570",
            "city": "Breux-sur-Avre",
            "country": "",
            "lat": 48.76231,
            "lon": 1.081901,
            "accessibility": "Accessible",
            "accessibility_note": "rampe d'accès",
        }
    ]
    assert body.phones == [{"number": "02 32 32 50 76", "description": ""}]
    assert body.emails == ["mairie@breux-sur-avre.fr"]
    assert body.websites == [{"url": "https://www.breux-sur-avre.fr", "label": ""}]  # trailing space stripped
    assert body.opening_hours == [
        {"jours": "Lundi", "plages": ["16:30–18:30"], "commentaire": ""},
        {"jours": "Jeudi", "plages": ["16:30–18:30"], "commentaire": ""},
    ]
    # Located in C and serving exactly C: an office of the derived mairie of C.
    assert body.parent.key == f"mairie:{SAINT_MARTIN}"
    # The derived body itself is left untouched.
    assert referential.body(f"mairie:{SAINT_MARTIN}").phones == []


def test_2023_shape_with_insee_list_siret_and_two_slots(referential):
    record = fontaine_2023(insee=MONTPELLIER)
    annuaire_import([record])
    body = office(record)
    assert body.siren == "217701887"  # first 9 digits of the siret "21770188700010"
    assert body.annuaire_url == record["url_service_public"]
    assert body.commune.insee_code == MONTPELLIER
    assert body.addresses[0]["accessibility"] == "Accessible sur demande"  # DEM
    assert body.addresses[0]["lat"] == pytest.approx(48.4868011475)
    assert body.opening_hours[0] == {
        "jours": "Mardi",
        "plages": ["09:00–12:00", "18:00–19:00"],
        "commentaire": "Accueil ouvert uniquement hors vacances scolaires l'après-midi.",
    }
    assert body.opening_hours[1] == {"jours": "Mercredi", "plages": ["09:00–12:00"], "commentaire": ""}
    assert body.emails == ["mairie-xxxxx@yyyy.fr"]
    routing_index_invalidate()
    assert route_pivot("mairie", commune=MONTPELLIER).bodies[0].key == body.key


def test_unknown_commune_is_a_warning_and_the_record_is_still_imported(referential):
    record = fontaine_2023()  # verbatim: commune 77188, not in the test referential
    report = annuaire_import({"service": [record]})
    assert report.created == 1
    assert len(report.warnings) == 2
    assert "77188" in report.warnings[0] and "sans commune" in report.warnings[0]
    assert "commune desservie 77188" in report.warnings[1]
    body = office(record)
    assert body.commune is None and body.served_communes.count() == 0 and body.parent is None
    assert body.phones == [{"number": "01 64 38 30 52", "description": ""}]


def test_api_string_encoded_and_null_shapes_give_the_same_body_as_the_bulk_file(referential):
    bulk = fontaine_2023(insee=MONTPELLIER)
    annuaire_import([bulk])
    expected = contact(office(bulk))

    api = api_encoded(fontaine_2023(insee=MONTPELLIER, id_="api-1"))
    annuaire_import({"total_count": 1, "results": [api]}, full=False)
    assert contact(office(api)) | {"annuaire_id": bulk["id"]} == expected
    assert isinstance(api["pivot"], str) and isinstance(api["telephone"], str)

    nulls = nulls_for_empty(fontaine_2023(insee=MONTPELLIER, id_="nulls-1"))
    assert nulls["siren"] is None and nulls["sigle"] is None
    annuaire_import([nulls], full=False)
    assert contact(office(nulls)) | {"annuaire_id": bulk["id"]} == expected

    # 2021 shape (string INSEE code + indice_code_pivot), API-encoded, with nulls.
    old = nulls_for_empty(api_encoded(breux_2021(MONTPELLIER, id_="old-api")))
    annuaire_import([old], full=False)
    assert list(office(old).served_communes.values_list("insee_code", flat=True)) == [MONTPELLIER]


def test_emails_given_as_one_semicolon_separated_string(referential):
    record = breux_2021()
    record["adresse_courriel"] = "mairie@breux-sur-avre.fr ; accueil@breux-sur-avre.fr"
    annuaire_import([record])
    assert office(record).emails == ["mairie@breux-sur-avre.fr", "accueil@breux-sur-avre.fr"]


def test_former_code_resolves_to_the_current_commune(referential):
    record = breux_2021("29096")  # a former code merged into Brest (29019)
    report = annuaire_import([record])
    assert report.warnings == []
    body = office(record)
    assert body.commune.insee_code == "29019"
    assert list(body.served_communes.values_list("insee_code", flat=True)) == ["29019"]
    assert body.parent.key == "mairie:29019"


def test_reimport_is_idempotent_and_a_change_is_an_update(referential, tmp_path):
    path = tmp_path / "local.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"service": [breux_2021(), fontaine_2023(MONTPELLIER)]}).encode()))
    first = annuaire_import(path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = annuaire_import(path)
    assert (second.created, second.updated, second.unchanged, second.deactivated) == (0, 0, 2, 0)

    changed = breux_2021()
    changed["telephone"] = [{"valeur": "02 32 32 50 77", "description": "Accueil"}]
    third = annuaire_import([changed, fontaine_2023(MONTPELLIER)])
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert office(changed).phones == [{"number": "02 32 32 50 77", "description": "Accueil"}]


def test_full_import_deactivates_absent_offices_and_partial_does_not(referential):
    breux, fontaine = breux_2021(), fontaine_2023(MONTPELLIER)
    annuaire_import([breux, fontaine])
    partial = annuaire_import([fontaine], full=False)
    assert partial.deactivated == 0 and office(breux).active

    full = annuaire_import([fontaine])
    assert full.deactivated == 1
    assert not office(breux).active and office(fontaine).active
    routing_index_invalidate()
    answer = route_pivot("mairie", commune=SAINT_MARTIN)
    assert answer.reason.kind != "annuaire"  # back to the derived mairie
    assert answer.body.key == f"mairie:{SAINT_MARTIN}"

    again = annuaire_import([breux, fontaine])
    assert (again.created, again.updated) == (0, 1) and office(breux).active


def test_hierarchy_links_the_child_to_its_parent_after_all_records_exist(referential):
    child = breux_2021(MONTPELLIER, id_="child-annexe")  # listed first: the parent does not exist yet
    parent = fontaine_2023(MONTPELLIER, id_="parent-mairie")
    parent["hierarchie"] = [
        {"type_hierarchie": "Service Fils", "service": "child-annexe"},
        {"type_hierarchie": "Autre hiérarchie", "service": "ailleurs"},
    ]
    report = annuaire_import([child, parent])
    assert report.warnings == []
    assert office(child).parent == office(parent)
    assert office(parent).parent.key == f"mairie:{MONTPELLIER}"
    assert annuaire_import([child, parent]).updated == 0

    del parent["hierarchie"]
    annuaire_import([child, parent])
    assert office(child).parent.key == f"mairie:{MONTPELLIER}"  # hierarchy gone: the derived link only


def test_social_and_state_offices_are_linked_to_the_derived_body_of_their_departement(referential):
    def moved(pivot: str, insee: str) -> dict:
        record = breux_2021(insee, id_=f"{pivot}-{insee}")
        record["pivot"][0]["type_service_local"] = pivot  # changed: the pivot of the office
        return record

    records = [
        moved("caf", MONTPELLIER),
        moved("cpam", MONTPELLIER),
        moved("maison_handicapees", MONTPELLIER),
        moved("prefecture", MONTPELLIER),
        moved("cpam", "97611"),
        moved("caf", "97701"),
        moved("prefecture", "97701"),
        moved("ccas", MONTPELLIER),
    ]
    annuaire_import(records)
    parents = {r["id"]: office(r).parent.key if office(r).parent else None for r in records}
    assert parents == {
        "caf-34172": "caf:34",
        "cpam-34172": "cpam:34",
        "maison_handicapees-34172": "mdph:34",
        "prefecture-34172": "prefecture:34",
        "cpam-97611": "caf:976",  # the CSSM of Mayotte is CAF and CPAM at once
        "caf-97701": "caf:971",  # Saint-Barthélemy is served by the caisses of Guadeloupe
        "prefecture-97701": "prefecture:977-978",
        "ccas-34172": None,
    }


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"service": [{"id": "x", "nom": "Mairie"', "JSON invalide"),
        (gzip.compress(json.dumps({"service": [breux_2021()]}).encode())[:-30], "tronqué"),
        (json.dumps({"service": [breux_2021(), {"nom": "Sans identifiant"}]}).encode(), "n° 2 : champ « id »"),
        (json.dumps({"service": [breux_2021(), ["pas", "un", "objet"]]}).encode(), "n° 2 : ce n'est pas un objet"),
        (
            json.dumps({"service": [breux_2021(), breux_2021(id_="sans-nom") | {"nom": ""}]}).encode(),
            "n° 2 (id sans-nom) : champ « nom »",
        ),
        (json.dumps({"service": [breux_2021() | {"telephone": '[{"valeur": '}]}).encode(), "telephone"),
        (json.dumps({"autre": []}).encode(), "structure non reconnue"),
        # Issue 7: a NUL or control character refuses the file, on SQLite as on PostgreSQL.
        (
            json.dumps({"service": [breux_2021() | {"nom": "Mairie\u0000"}]}).encode(),
            "caractère interdit (NUL",
        ),
        (json.dumps({"service": [breux_2021() | {"nom": "Mairie\u001b"}]}, indent=1).encode(), "caractère interdit"),
        (
            json.dumps({"service": [breux_2021() | {"telephone": json.dumps([{"valeur": "04\u0000"}])}]}).encode(),
            "caractère interdit (NUL",
        ),
    ],
)
def test_a_bad_file_or_record_fails_and_changes_nothing(referential, tmp_path, content, message):
    annuaire_import([fontaine_2023(MONTPELLIER)])
    before = list(Body.objects.filter(source="annuaire").values_list("key", "active", "updated_at"))
    path = tmp_path / ("bad.json.gz" if content[:2] == b"\x1f\x8b" else "bad.json")
    path.write_bytes(content)
    with pytest.raises(ImportFailed) as exc:
        annuaire_import(path)
    assert message in exc.value.message
    assert list(Body.objects.filter(source="annuaire").values_list("key", "active", "updated_at")) == before


def test_import_command_routes_at_once_and_prints_a_summary(referential, tmp_path, capsys):
    path = tmp_path / "data.gouv_local.json.bz2"
    path.write_bytes(bz2.compress(json.dumps({"service": [breux_2021(), fontaine_2023()]}).encode()))
    call_command("import", "annuaire", str(path))
    out = capsys.readouterr().out
    assert "créés" in out and "avertissements" in out and "77188" in out
    answer = route_pivot("mairie", commune=SAINT_MARTIN)  # no manual invalidation: the command did it
    assert answer.reason.kind == "annuaire" and answer.body.name == "Mairie - Breux-sur-Avre"


def test_import_command_refuses_a_bad_file(referential, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "local.json"
    path.write_text("{")
    with pytest.raises(CommandError, match="rien n'a été modifié"):
        call_command("import", "annuaire", str(path))
    assert Body.objects.filter(source="annuaire").count() == 0


def test_old_xml_organisme_format(referential, tmp_path):
    # Verbatim file first: its commune 01053 (Bourg-en-Bresse) is outside the subset → a warning.
    report = annuaire_import(ORGANISME_XML)
    assert report.created == 1 and "01053" in report.warnings[0]
    body = Body.objects.get(key="annuaire:msa-01053-01")
    assert body.name == "Mutualité sociale agricole (MSA) Ain-Rhône - accueil de Bourg-en-Bresse"
    assert body.pivots == ["msa"] and body.commune is None
    assert body.addresses == [
        {
            "type": "physique",
            "lines": ["15 avenue du Champ-de-Foire"],
            "postcode": "01059",
            "city": "Bourg-en-Bresse Cedex 9",
            "country": "",
            "lat": 46.2069614,
            "lon": 5.2306651,
            "accessibility": "",
            "accessibility_note": "",
        },
        {
            "type": "postale",
            "lines": ["Mutualité sociale agricole Ain-Rhône", "35-37 rue du Plat", "BP 2612"],
            "postcode": "69232",
            "city": "Lyon Cedex 2",
            "country": "",
            "lat": None,
            "lon": None,
            "accessibility": "",
            "accessibility_note": "",
        },
    ]
    assert body.phones == [{"number": "04 74 45 99 00", "description": ""}]
    assert body.websites == [{"url": "http://www.msa01-69.fr", "label": ""}]
    assert body.opening_hours == [
        {"jours": "Vendredi", "plages": ["08:30–12:00"], "commentaire": "Après-midi sur rendez-vous exclusivement."},
        {
            "jours": "Lundi–Mercredi",
            "plages": ["08:30–12:00"],
            "commentaire": "Après-midi sur rendez-vous exclusivement. Jeudi sur rendez-vous exclusivement.",
        },
    ]

    # A folder of the old export: organisme file moved to Saint-Martin (only codeInsee changed) and a
    # commune file (DATA_FORMATS §1.5 shape) that gives the served commune.
    folder = tmp_path / "34"
    folder.mkdir()
    (folder / "organisme.xml").write_text(
        ORGANISME_XML.read_text().replace('codeInsee="01053"', f'codeInsee="{SAINT_MARTIN}"')
    )
    (folder / "commune.xml").write_text(
        f'<Commune codeInsee="{SAINT_MARTIN}"><Nom>Saint-Martin-de-Londres</Nom>'
        '<TypeOrganisme pivotLocal="msa"><Organisme id="msa-01053-01"/></TypeOrganisme></Commune>'
    )
    report = annuaire_import(folder)
    assert (report.updated, report.warnings) == (1, [])
    routing_index_invalidate()
    assert route_pivot("msa", commune=SAINT_MARTIN).bodies[0].key == "annuaire:msa-01053-01"


def test_the_export_as_published_tar_bz2_with_geographic_competence(referential, tmp_path):
    """`all_latest.tar.bz2` as the DILA publishes it: `…data.gouv_local.json` (the services, streamed out of the
    archive) and `…data.gouv_commune.zip` (one file per commune: which offices serve it). Real records, moved to
    communes of the subset; the commune files are written in the shape DATA_FORMATS.md §1.5 gives."""
    import io
    import tarfile
    import zipfile

    caf = fontaine_2023(MONTPELLIER, id_="caf-herault-montpellier")
    caf["pivot"] = [{"type_service_local": "caf", "code_insee_commune": []}]  # served communes: from the zip only
    mairie = breux_2021()
    communes = io.BytesIO()
    with zipfile.ZipFile(communes, "w") as archive:
        for code in (SAINT_MARTIN, MONTPELLIER):
            entry = {
                "code_insee_commune": code,
                "type_service_local": [
                    {"code_type_service_local": "caf", "organisme": ["caf-herault-montpellier"]},
                ],
            }
            archive.writestr(f"{code}.json", json.dumps({"commune": [entry]}))
    path = tmp_path / "all_latest.tar.bz2"
    with tarfile.open(path, "w:bz2") as tar:
        for name, data in (
            ("2026-11-30_data.gouv_commune.zip", communes.getvalue()),
            ("2026-11-30_data.gouv_local.json", json.dumps({"service": [mairie, caf]}).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    report = annuaire_import(path, tempdir=scratch)
    assert (report.records, report.created, report.warnings) == (2, 2, [])
    served = set(office(caf).served_communes.values_list("insee_code", flat=True))
    assert served == {SAINT_MARTIN, MONTPELLIER}
    routing_index_invalidate()
    assert route_pivot("caf", commune=SAINT_MARTIN).body.key == "annuaire:caf-herault-montpellier"
    assert not list(scratch.iterdir())  # the temporary copy of the commune files is gone
    assert annuaire_import(path).unchanged == 2
