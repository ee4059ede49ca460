"""Shared files of an action sheet, IFC models included: tests build their small IFC models with IfcOpenShell
itself (a station building: hall, waiting room, bike shelter), read them back, diff two versions; bad files store
nothing; every access is journaled; only the sheet's partners reach them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sanscouture.contracts.demo import APPLICATION, SPACE_IDS
from sanscouture.contracts.demo import station_model as station
from sanscouture.contracts.errors import FileInvalid, FileTooLarge, IfcSchemaUnsupported, NotAuthorised
from sanscouture.contracts.ifc import ifc_diff, ifc_summary
from sanscouture.contracts.models import FileAccess, FileVersion, SharedFile
from sanscouture.contracts.services import file_version_add, shared_file_add

from .conftest import DEPARTEMENT

pytestmark = pytest.mark.django_db


IDS = SPACE_IDS


def test_summary_of_a_station_model():
    s = ifc_summary(station({"Hall": 120.5, "Attente": 35.0, "Vélos": None}, ids=IDS))
    assert s["schema"] == "IFC4" and s["projet"] == "Pôle d'échanges multimodal"
    assert s["sites"] == ["Saint-Martin-de-Londres"] and s["application"] == APPLICATION
    assert [b["nom"] for b in s["batiments"]] == ["Gare routière"]
    assert [e["nom"] for e in s["batiments"][0]["etages"]] == ["Rez-de-chaussée"]
    areas = {e["nom"]: e["surface"] for e in s["espaces"]}
    assert areas == {"Hall": 120.5, "Attente": 35.0, "Vélos": None}
    assert {e["etage"] for e in s["espaces"]} == {"Rez-de-chaussée"} and s["surface_totale"] == 155.5
    assert ifc_summary(station({"Hall": 10.0}, schema="IFC2X3"))["schema"] == "IFC2X3"


def test_diff_between_two_versions():
    v1 = ifc_summary(station({"Hall": 120.5, "Attente": 35.0, "Vélos": None}, ids=IDS))
    v2 = ifc_summary(station({"Hall": 140.0, "Vélos": None, "Local agents": 18.0}, ids=IDS))
    diff = ifc_diff(v1, v2)
    assert [e["nom"] for e in diff["ajoutes"]] == ["Local agents"]
    assert [e["nom"] for e in diff["supprimes"]] == ["Attente"]
    assert diff["surfaces_modifiees"] == [{"id": IDS["Hall"], "nom": "Hall", "avant": 120.5, "apres": 140.0}]
    assert ifc_diff(v1, v1) == {"ajoutes": [], "supprimes": [], "surfaces_modifiees": []}


def test_bad_files_store_nothing(crte, settings):
    good = station({"Hall": 1.0})
    cases = [
        (b"pas une maquette", FileInvalid),
        (good[: len(good) // 2], FileInvalid),  # truncated
        (good.replace(b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC5'))"), IfcSchemaUnsupported),
        (b"", FileInvalid),
    ]
    for content, error in cases:
        with pytest.raises(error):
            shared_file_add(sheet=crte.sheet, title="x", name="gare.ifc", content=content, actor=crte.cc_admin)
    settings.SANSCOUTURE_SHARED_FILE_MAX_SIZE = 1000
    with pytest.raises(FileTooLarge):
        shared_file_add(sheet=crte.sheet, title="x", name="gare.ifc", content=good, actor=crte.cc_admin)
    assert not SharedFile.objects.exists() and not FileVersion.objects.exists() and not FileAccess.objects.exists()


def test_versions_and_journal(crte, referential):
    shared = shared_file_add(
        sheet=crte.sheet,
        title="Maquette de la gare",
        name="gare-v1.ifc",
        content=station({"Hall": 1.0}),
        actor=crte.cc_admin,
    )
    version = file_version_add(file=shared, name="gare-v2.ifc", content=station({"Hall": 2.0}), actor=crte.dep_admin)
    assert version.number == 2 and shared.kind == "ifc"
    with pytest.raises(FileInvalid):  # an IFC model's next version is an IFC model
        file_version_add(file=shared, name="notes.txt", content=b"texte", actor=crte.cc_admin)
    outsider = referential.agent("region:76", "admin")  # holds a lever, but is not in the sheet
    with pytest.raises(NotAuthorised):
        file_version_add(file=shared, name="v3.ifc", content=station({"Hall": 3.0}), actor=outsider)
    journal = list(FileAccess.objects.order_by("pk").values_list("action", "user__username", "bodies"))
    assert journal == [
        ("depot", crte.cc_admin.username, "CC du Grand Pic Saint-Loup"),
        ("depot", crte.dep_admin.username, crte.bodies[DEPARTEMENT].name),
    ]


def test_pages_upload_summarise_replace_diff_and_journal(client, crte, referential):
    referential.login(client, crte.cc_admin)
    ids = {"Hall": IDS["Hall"], "Attente": IDS["Attente"]}
    v1 = SimpleUploadedFile("gare-v1.ifc", station({"Hall": 120.5, "Attente": 35.0}, ids=ids))
    r = client.post(f"/fiches/{crte.sheet.pk}/fichiers", {"title": "Maquette de la gare", "file": v1})
    assert r.status_code == 302, r.content.decode()[:500]
    shared = SharedFile.objects.get()
    page = client.get(f"/fichiers/{shared.pk}/").content.decode()
    assert "Gare routière" in page and "Rez-de-chaussée" in page and "120,5" in page
    v2 = SimpleUploadedFile("gare-v2.ifc", station({"Hall": 140.0, "Local agents": 18.0}, ids=ids))
    r = client.post(f"/fichiers/{shared.pk}/versions", {"file": v2})
    assert r.status_code == 302 and r["Location"].endswith("?de=1&a=2")
    diff = client.get(r["Location"]).content.decode()
    assert "Espace ajouté : Local agents" in diff and "Espace supprimé : Attente" in diff
    assert "Surface modifiée : Hall" in diff
    download = client.get(f"/fichiers/{shared.pk}/versions/1/telecharger")
    assert download.status_code == 200 and download.content.startswith(b"ISO-10303-21;")
    bad = SimpleUploadedFile("gare-v3.ifc", b"ISO-10303-21;\nHEADER;FILE_SCHEMA(('IFC4'));ENDSEC;\nDATA;#1=IFCWALL(")
    r = client.post(f"/fichiers/{shared.pk}/versions", {"file": bad})
    assert r.status_code == 302 and FileVersion.objects.count() == 2
    assert list(FileAccess.objects.order_by("pk").values_list("action", flat=True)) == [
        "depot",
        "consultation",
        "depot",
        "comparaison",
        "telechargement",
    ]
    # Someone outside the sheet: the file does not exist for them; the sheet page does not list it.
    other = referential.agent("region:76", "agent")
    referential.login(client, other)
    assert client.get(f"/fichiers/{shared.pk}/").status_code == 404
    assert "Maquette de la gare" not in client.get(f"/fiches/{crte.sheet.pk}/").content.decode()
    assert FileAccess.objects.count() == 5
