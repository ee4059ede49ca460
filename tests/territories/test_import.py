"""Import of the official découpage administratif: formats, idempotency, changes, and bad files."""

import copy
import gzip
import io
import json
import tarfile
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanscouture.bodies.models import Body
from sanscouture.competences.services import referential_load
from sanscouture.errors import ImportFailed
from sanscouture.territories.importers import read_source, referential_import
from sanscouture.territories.models import Commune, CommuneKind, Epci
from tests.conftest import SUBSET


def test_bundled_edition_is_the_whole_of_france():
    data, version = read_source()
    kinds = Counter(c["type"] for c in data["communes"])
    assert version == "6.0.0"
    assert kinds["commune-actuelle"] == 34969
    assert kinds["arrondissement-municipal"] == 45  # Paris 20, Lyon 9, Marseille 16
    assert kinds["commune-deleguee"] > 2000 and kinds["commune-associee"] > 400
    assert len(data["epci"]) == 1255 and len(data["ept"]) == 11
    zones = Counter(c["zone"] for c in data["communes"] if c["type"] == "commune-actuelle")
    assert zones["drom"] == 129 and zones["com"] > 0


def test_reimporting_the_same_edition_changes_nothing(referential):
    data, version = read_source(SUBSET)
    report = referential_import(data, source="test", version=version)
    assert not report.changed, report.changes


def _bundle_bytes(data):
    return gzip.compress(json.dumps({"version": "test", "files": data}).encode())


def test_a_new_edition_reports_created_updated_deleted_and_retires_the_mairie(referential, tmp_path):
    data, _ = read_source(SUBSET)
    data = copy.deepcopy(data)
    current = [c for c in data["communes"] if c["type"] == "commune-actuelle"]
    renamed = next(c for c in current if c["code"] == "34274")
    renamed["nom"] = "Saint-Martin-de-Londres-Nouveau"
    gone = next(c for c in current if c["code"] == "29155")  # Ouessant
    data["communes"].remove(gone)
    path = tmp_path / "edition.json.gz"
    path.write_bytes(_bundle_bytes(data))
    report = referential_load(path=path)
    assert report.territories.changes["communes"] == {"créés": 0, "modifiés": 1, "supprimés": 1}
    assert Commune.objects.get(insee_code="34274", kind=CommuneKind.CURRENT).search_name.endswith("nouveau")
    assert not Body.objects.get(key="mairie:29155").active
    assert Body.objects.get(key="mairie:34274").name == "Mairie de Saint-Martin-de-Londres-Nouveau"
    assert report.bodies.deactivated == 1 and report.bodies.updated == 1


def test_the_npm_tarball_and_folder_formats_are_read(tmp_path):
    data, _ = read_source(SUBSET)
    del data["history"], data["effective"]  # what the bundle adds to the package's files
    folder = tmp_path / "package"
    (folder / "data").mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "@etalab/decoupage-administratif", "version": "9.9.9"}))
    for name, records in data.items():
        (folder / "data" / f"{name}.json").write_text(json.dumps(records))
    from_folder, version = read_source(folder)
    assert version == "9.9.9" and from_folder == data
    tgz = tmp_path / "etalab-decoupage-administratif-9.9.9.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(folder, arcname="package")
    from_tarball, version = read_source(tgz)
    assert version == "9.9.9" and from_tarball == data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["communes"].append(
                {
                    "code": "99999",
                    "nom": "Nulle part",
                    "type": "commune-actuelle",
                    "departement": "00",
                    "region": "76",
                    "zone": "metro",
                }
            ),
            "département 00",
        ),
        (lambda d: d["communes"].append({"code": "34999", "type": "commune-actuelle", "departement": "34"}), "nom"),
        (lambda d: d["epci"][0].update(type="SIVOM"), "type d'EPCI inconnu"),
        (
            lambda d: d["communes"].append(
                {
                    "code": "34998",
                    "nom": "Orpheline",
                    "type": "commune-deleguee",
                    "chefLieu": "00000",
                    "departement": "34",
                    "region": "76",
                }
            ),
            "absente",
        ),
        (lambda d: d.pop("epci"), "epci.json"),
        (lambda d: d["communes"][1].update(nom="Saint\u0000Martin"), "caractère interdit (NUL (U+0000))"),
    ],
)
def test_a_malformed_edition_changes_nothing_and_says_where(referential, tmp_path, mutate, message):
    data, _ = read_source(SUBSET)
    data = copy.deepcopy(data)
    data["communes"][0]["nom"] = "Nom qui ne doit pas rester"
    mutate(data)
    path = tmp_path / "bad.json.gz"
    path.write_bytes(_bundle_bytes(data))
    before = (Commune.objects.count(), Epci.objects.count(), Body.objects.count())
    with pytest.raises(ImportFailed) as exc:
        referential_load(path=path)
    assert message in exc.value.message
    assert (Commune.objects.count(), Epci.objects.count(), Body.objects.count()) == before
    assert not Commune.objects.filter(name="Nom qui ne doit pas rester").exists()


def test_truncated_or_non_json_files_are_refused_by_the_command(referential, tmp_path):
    truncated = tmp_path / "tronque.json.gz"
    truncated.write_bytes(SUBSET.read_bytes()[:5000])
    with pytest.raises(CommandError, match="rien n'a été modifié"):
        call_command("import", "territoires", str(truncated), stdout=io.StringIO())
    garbage = tmp_path / "communes.json.gz"
    garbage.write_bytes(gzip.compress(b"{pas du json"))
    with pytest.raises(CommandError, match="JSON invalide"):
        call_command("import", "territoires", str(garbage), stdout=io.StringIO())
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import", "territoires", str(tmp_path / "absent"), stdout=io.StringIO())


def test_import_command_shows_a_summary(referential):
    out = io.StringIO()
    call_command("import", "territoires", str(SUBSET), stdout=out)
    text = out.getvalue()
    assert "communes" in text and "structures" in text and "Aucun changement" in text


def _edition(data, effective, tmp_path, name):
    path = tmp_path / name
    files = {k: v for k, v in data.items() if k not in ("history", "effective")}
    path.write_bytes(gzip.compress(json.dumps({"version": "test", "effective": effective, "files": files}).encode()))
    return path


def test_editions_imported_one_after_another_keep_the_history(referential, tmp_path):
    """Issue 9, item 5: a newer edition extends the dated referential; routing at a past date still answers
    for the communes of that date; an older edition is refused."""
    from datetime import date

    from sanscouture.competences.routing import route
    from sanscouture.territories.errors import CommuneNotFound
    from sanscouture.territories.models import CommunePeriod

    data, _ = read_source(SUBSET)
    data = copy.deepcopy(data)
    data["communes"] = [c for c in data["communes"] if c["code"] != "29155"]  # Ouessant leaves the referential
    referential_load(path=_edition(data, "2027-01-01", tmp_path, "2027.json.gz"))
    ouessant = CommunePeriod.objects.get(insee_code="29155")
    assert ouessant.end == date(2026, 12, 31)
    assert [b.name for b in route("etat-civil", commune="29155", on=date(2026, 6, 1)).bodies] == ["Mairie d'Ouessant"]
    with pytest.raises(CommuneNotFound):
        route("etat-civil", commune="29155", on=date(2027, 6, 1))
    # The history the bundle brought (communes merged in 2025) is still there.
    assert [b.name for b in route("etat-civil", commune="14300", on=date(2020, 1, 1)).bodies] == ["Mairie de Gerrots"]

    before = CommunePeriod.objects.count()
    with pytest.raises(ImportFailed, match="ordre chronologique"):
        referential_load(path=_edition(data, "2025-01-01", tmp_path, "2025.json.gz"))
    assert CommunePeriod.objects.count() == before
