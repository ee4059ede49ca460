"""Import of the Annuaire de l'administration (DILA, service-public.fr): local offices, contact details.

Accepted inputs (DATA_FORMATS.md §1):

* the bulk JSON export `{"service": [...]}` (`data.gouv_local.json`), as `.json`, `.json.gz`, `.json.bz2`, or
  the `all_latest.tar.bz2` archive that contains it;
* the Opendatasoft API: `{"total_count": n, "results": [...]}` or the plain list of `exports/json`;
* already-decoded records (a list of dicts, or one of the dicts above);
* the old XML "organismes" format (≤ 2021): one `.xml` file, or a folder of them (commune files of the same
  export, `<Commune codeInsee><TypeOrganisme pivotLocal><Organisme id/>`, give the served communes).

Nested fields may be real lists or JSON-encoded strings; empty values may be `""` or `null`; the INSEE code of
a pivot is a list (2023+) or a string (2021). pydantic models normalise all of this.

What is stored on `Body` (only what the record gives, nothing guessed):

* `addresses`: `{"type", "lines": [...], "postcode", "city", "country", "lat", "lon", "accessibility",
  "accessibility_note"}` (lat/lon floats or null; accessibility: a French label or "");
* `phones`: `{"number", "description"}`; `emails`: strings; `websites`: `{"url", "label"}`;
* `opening_hours`: `{"jours": "Lundi" | "Lundi–Vendredi", "plages": ["09:00–12:00", ...], "commentaire"}`,
  plus a last entry with empty `jours` for the record's general comment on opening hours, if any.

One transaction: a malformed file or record raises `ImportFailed` (French message saying where) and changes
nothing. Callers that route must invalidate the routing index afterwards (competences is a higher layer).
"""

import bz2
import gzip
import json
import os
import shutil
import tarfile
import tempfile
import xml.etree.ElementTree as ET  # noqa: S405 (files from the DILA, parsed without entity expansion)
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any

import ijson
from django.db import transaction
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from sanscouture.errors import DomainError, ImportFailed
from sanscouture.safetext import FORBIDDEN_IN_TEXT, describe
from sanscouture.territories.models import Commune, CommuneKind
from sanscouture.territories.selectors import commune_resolve

from .models import Body, BodyKind
from .services import special_statuses

Progress = Callable[[str, int, int], None]

SOURCE = "annuaire"
ACCESSIBILITY = {"ACC": "Accessible", "DEM": "Accessible sur demande", "NAC": "Non accessible"}
DAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
# Pivot of an office → prefix of the derived body it is a local office of (in its commune's département).
DERIVED_PARENT = {"caf": "caf", "cpam": "cpam", "maison_handicapees": "mdph", "prefecture": "prefecture"}
FIELDS = [
    "kind",
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
    "source",
    "active",
    "parent_id",
]


# --- Normalisation of the two encodings (bulk: real JSON; API: JSON strings) -----------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("texte attendu")
    found = FORBIDDEN_IN_TEXT.search(value)
    if found:  # e.g. a NUL inside a JSON-encoded nested field, which the file-level check cannot see
        raise ValueError(f"caractère interdit ({describe(found.group())})")
    return value.strip()


def _nested(value: Any) -> list[Any]:
    """A nested field: a list, an object, a JSON-encoded string of either, or empty."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"texte JSON invalide ({exc.msg})") from exc
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise ValueError("liste attendue")
    return [v for v in value if v not in (None, "")]


def _strings(value: Any) -> list[str]:
    """A list of strings, possibly JSON-encoded, possibly a plain string; values may be `;`-separated."""
    if isinstance(value, str) and not value.strip().startswith("["):
        value = [value]
    out: list[str] = []
    for item in _nested(value):
        for part in _text(item).split(";"):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _codes(value: Any) -> list[str]:
    if isinstance(value, str) and not value.strip().startswith("["):
        value = [value]
    return [c for c in (_text(v).upper() for v in _nested(value)) if c]


def _value_object(value: Any) -> Any:
    return {"valeur": value} if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_text)]
Strings = Annotated[list[str], BeforeValidator(_strings)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PivotIn(_Model):
    type_service_local: Text = ""
    code_insee_commune: Annotated[list[str], BeforeValidator(_codes)] = []


class AddressIn(_Model):
    type_adresse: Text = ""
    complement1: Text = ""
    complement2: Text = ""
    numero_voie: Text = ""
    service_distribution: Text = ""
    lignes: Strings = []  # old XML format: the lines as given
    code_postal: Text = ""
    nom_commune: Text = ""
    pays: Text = ""
    longitude: Text = ""
    latitude: Text = ""
    accessibilite: Text = ""
    note_accessibilite: Text = ""


class PhoneIn(_Model):
    valeur: Text = ""
    description: Text = ""


class WebsiteIn(_Model):
    valeur: Text = ""
    libelle: Text = ""


class OpeningIn(_Model):
    nom_jour_debut: Text = ""
    nom_jour_fin: Text = ""
    valeur_heure_debut_1: Text = ""
    valeur_heure_fin_1: Text = ""
    valeur_heure_debut_2: Text = ""
    valeur_heure_fin_2: Text = ""
    commentaire: Text = ""


class HierarchyIn(_Model):
    type_hierarchie: Text = ""
    service: Text = ""


def _list_of(model: type[_Model], wrap: Callable[[Any], Any] | None = None) -> Any:
    def before(value: Any) -> list[Any]:
        items = _nested(value)
        return [wrap(i) for i in items] if wrap else items

    return Annotated[list[model], BeforeValidator(before)]  # type: ignore[valid-type]


class ServiceIn(_Model):
    """One record of the Annuaire, whatever its encoding."""

    id: Text
    nom: Text
    pivot: _list_of(PivotIn) = []  # type: ignore[valid-type]
    code_insee_commune: Text = ""
    adresse: _list_of(AddressIn) = []  # type: ignore[valid-type]
    telephone: _list_of(PhoneIn, _value_object) = []  # type: ignore[valid-type]
    site_internet: _list_of(WebsiteIn, _value_object) = []  # type: ignore[valid-type]
    adresse_courriel: Strings = []
    plage_ouverture: _list_of(OpeningIn) = []  # type: ignore[valid-type]
    commentaire_plage_ouverture: Text = ""
    hierarchie: _list_of(HierarchyIn) = []  # type: ignore[valid-type]
    siren: Text = ""
    siret: Text = ""
    url_service_public: Text = ""


# --- Reading the files (streaming: one record at a time) ------------------------------------------------------

COMMUNE_FILES = "gouv_commune.zip"  # the export's geographic competence: one JSON file per commune


@dataclass
class Source:
    """The records of an input, read lazily, and the geographic competence files that came with them."""

    records: Iterator[Any]
    competence: Path | None = None  # a zip of commune files, kept on disk (a zip needs random access)
    cleanup: list[Path] = field(default_factory=list)


def read_annuaire(source: Any) -> list[Any]:
    """The raw records of a path, or of already-decoded data, as a list (small inputs and tests)."""
    if isinstance(source, str | Path):
        return list(_open(Path(source), tempdir=None).records)
    return _records_of(source, "données fournies")


def _records_of(data: Any, where: str) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("service", "results"):
            if isinstance(data.get(key), list):
                return data[key]
    raise ImportFailed(
        f'{where} : structure non reconnue. Attendu : {{"service": [...]}} (export en masse), '
        '{"results": [...]} (API) ou une liste d\'enregistrements.',
        details={"fichier": where},
    )


def _stream_json(opener: Callable[[], IO[bytes]], where: str) -> Iterator[Any]:
    """Records of a JSON export, one at a time: `{"service": [...]}`, `{"results": [...]}` or a list."""
    try:
        with opener() as raw:
            head = raw.read(1)
            while head and head.isspace():
                head = raw.read(1)
    except (OSError, EOFError) as exc:
        raise ImportFailed(f"{where} : fichier illisible ou tronqué ({exc}).", details={"fichier": where}) from exc
    if head not in (b"[", b"{"):
        raise ImportFailed(f"{where} : JSON invalide ou tronqué (ni liste ni objet).", details={"fichier": where})
    prefixes = ["item"] if head == b"[" else ["service.item", "results.item"]
    found = False
    try:
        for prefix in prefixes:
            with opener() as raw:
                for record in ijson.items(raw, prefix, use_float=True):
                    found = True
                    yield record
            if found:
                return
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{where} : JSON invalide ou tronqué ({exc}).", details={"fichier": where}) from exc
    except (OSError, EOFError) as exc:
        raise ImportFailed(f"{where} : fichier illisible ou tronqué ({exc}).", details={"fichier": where}) from exc
    if head == b"{":
        with opener() as raw:
            try:
                keys = {k for k, _ in ijson.kvitems(raw, "")}
            except ijson.JSONError:
                keys = set()
        if not keys & {"service", "results"}:
            _records_of({}, where)  # raises the French message


def _open(path: Path, *, tempdir: Path | None) -> Source:
    name = path.name.lower()
    if not path.exists():
        raise ImportFailed(f"Fichier introuvable : {path}", details={"fichier": str(path)})
    if path.is_dir():
        return Source(iter(_read_xml_files(sorted(path.rglob("*.xml")), str(path))))
    if name.endswith(".xml"):
        return Source(iter(_read_xml_files([path], path.name)))
    if name.endswith((".tar.bz2", ".tar.gz", ".tgz", ".tar")):
        return _open_tar(path, tempdir)
    if name.endswith(".json.gz"):
        return Source(_stream_json(lambda: gzip.open(path, "rb"), path.name))
    if name.endswith(".json.bz2"):
        return Source(_stream_json(lambda: bz2.open(path, "rb"), path.name))
    if name.endswith(".json"):
        return Source(_stream_json(lambda: path.open("rb"), path.name))
    raise ImportFailed(
        f"{path.name} : format non reconnu. Attendu : .json, .json.gz, .json.bz2, l'archive "
        ".tar.bz2 de l'export, ou un fichier / dossier XML « organismes ».",
        details={"fichier": path.name},
    )


def _open_tar(path: Path, tempdir: Path | None) -> Source:
    """The export as published: a tar.bz2 holding `…gouv_local.json` (the services) and `…gouv_commune.zip`
    (geographic competence). The JSON member is streamed straight out of the archive; the zip is copied to a
    temporary file."""
    source = Source(iter(()))

    def records() -> Iterator[Any]:
        found = False
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                if member.name.endswith(COMMUNE_FILES):
                    handle, name = tempfile.mkstemp(suffix=".zip", dir=tempdir)
                    with os.fdopen(handle, "wb") as out, tar.extractfile(member) as data:  # type: ignore[union-attr]
                        shutil.copyfileobj(data, out, 1 << 20)
                    source.competence = Path(name)
                    source.cleanup.append(Path(name))
                elif member.name.endswith("gouv_local.json"):
                    found = True
                    data = tar.extractfile(member)
                    assert data is not None
                    yield from ijson.items(data, "service.item", use_float=True)  # streamed out of the archive
        if not found:
            raise ImportFailed(f"{path.name} : l'archive ne contient pas de fichier « *gouv_local.json ».")

    def guarded() -> Iterator[Any]:
        try:
            yield from records()
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            raise ImportFailed(
                f"{path.name} : JSON invalide ou tronqué ({exc}).", details={"fichier": path.name}
            ) from exc
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise ImportFailed(
                f"{path.name} : archive illisible ou tronquée ({exc}).", details={"fichier": path.name}
            ) from exc

    source.records = guarded()
    return source


def _competence(zip_path: Path, communes: "_Communes", report: "AnnuaireReport") -> dict[str, set[int]]:
    """Geographic competence files (`{"commune": [{"code_insee_commune", "type_service_local": [...]}]}` or the
    bare object): Annuaire id → the current communes it serves."""
    served: dict[str, set[int]] = {}
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        raise ImportFailed(f"Fichier des communes illisible ({exc}).") from exc
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".json"):
                continue
            try:
                data = json.loads(archive.read(info))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ImportFailed(
                    f"{info.filename} : JSON invalide ({exc}).", details={"fichier": info.filename}
                ) from exc
            for entry in data.get("commune", [data]) if isinstance(data, dict) else []:
                code = str(entry.get("code_insee_commune", ""))
                found = communes.resolve(code) if code else "code absent"
                if not isinstance(found, int):
                    report.warnings.append(f"{info.filename} : commune {code} inconnue ({found}) ; ignorée.")
                    continue
                for kind in entry.get("type_service_local") or []:
                    ids = kind.get("organisme") or []
                    for ident in [ids] if isinstance(ids, str) else ids:
                        served.setdefault(str(ident), set()).add(found)
    return served


# --- Old XML "organismes" format (DATA_FORMATS.md §1.6) ----------------------------------------


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, tag: str) -> list[ET.Element]:
    return [c for c in el if _tag(c) == tag]


def _child_text(el: ET.Element, tag: str) -> str:
    found = _children(el, tag)
    return (found[0].text or "").strip() if found else ""


def _read_xml_files(paths: Iterable[Path], where: str) -> list[Any]:
    organismes: list[ET.Element] = []
    served: dict[str, list[str]] = {}
    for path in paths:
        try:
            root = ET.parse(path).getroot()  # noqa: S314
        except ET.ParseError as exc:
            raise ImportFailed(
                f"{path.name} : XML invalide ou tronqué ({exc}).", details={"fichier": path.name}
            ) from exc
        for el in root.iter():
            if _tag(el) == "Organisme" and el.get("pivotLocal") is not None:
                organismes.append(el)
            elif _tag(el) == "Commune" and el.get("codeInsee"):
                for org in el.iter():
                    if _tag(org) == "Organisme" and org.get("id") and org.get("pivotLocal") is None:
                        served.setdefault(org.get("id", ""), []).append(el.get("codeInsee", ""))
    if not organismes:
        raise ImportFailed(f"{where} : aucun élément <Organisme> trouvé.", details={"fichier": where})
    return [_xml_record(el, served) for el in organismes]


def _xml_record(el: ET.Element, served: dict[str, list[str]]) -> dict[str, Any]:
    """An old XML organisme as a JSON-shaped record. Its served communes come only from the commune files."""
    ident = el.get("id", "")
    addresses = []
    for a in _children(el, "Adresse"):
        loc = _children(a, "Localisation")
        addresses.append(
            {
                "type_adresse": a.get("type", ""),
                "lignes": [(x.text or "").strip() for x in _children(a, "Ligne")],
                "code_postal": _child_text(a, "CodePostal"),
                "nom_commune": _child_text(a, "NomCommune"),
                "latitude": _child_text(loc[0], "Latitude") if loc else "",
                "longitude": _child_text(loc[0], "Longitude") if loc else "",
            }
        )
    phones, emails, sites = [], [], []
    for num in _children(el, "CoordonnéesNum"):
        phones += [{"valeur": (x.text or "").strip()} for x in _children(num, "Téléphone")]
        emails += [(x.text or "").strip() for x in _children(num, "Email")]
        sites += [{"valeur": (x.text or "").strip()} for x in _children(num, "Url")]
    openings = []
    for ouv in _children(el, "Ouverture"):
        for day in _children(ouv, "PlageJ"):
            hours = _children(day, "PlageH")
            slot: dict[str, str] = {
                "nom_jour_debut": day.get("début", "").capitalize(),
                "nom_jour_fin": day.get("fin", "").capitalize(),
                "commentaire": _child_text(day, "Note"),
            }
            for i, h in enumerate(hours[:2], start=1):
                slot[f"valeur_heure_debut_{i}"] = h.get("début", "")
                slot[f"valeur_heure_fin_{i}"] = h.get("fin", "")
            openings.append(slot)
    pivot = {"type_service_local": el.get("pivotLocal", ""), "code_insee_commune": served.get(ident, [])}
    return {
        "id": ident,
        "nom": _child_text(el, "Nom"),
        "code_insee_commune": el.get("codeInsee", ""),
        "pivot": [pivot],
        "adresse": addresses,
        "telephone": phones,
        "adresse_courriel": emails,
        "site_internet": sites,
        "plage_ouverture": openings,
    }


# --- From a record to the fields of a Body --------------------------------------------------


def _float(value: str) -> float | None:
    try:
        return float(value.replace(",", ".")) if value else None
    except ValueError:
        return None


def _hour(value: str) -> str:
    return value[:5] if len(value) >= 5 and value[2] == ":" else value


def _opening_hours(service: ServiceIn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in service.plage_ouverture:
        start, end = o.nom_jour_debut, o.nom_jour_fin
        jours = start if not end or end == start else (f"{start}–{end}" if start else end)
        plages = [
            f"{_hour(a)}–{_hour(b)}" if a and b else _hour(a or b)
            for a, b in (
                (o.valeur_heure_debut_1, o.valeur_heure_fin_1),
                (o.valeur_heure_debut_2, o.valeur_heure_fin_2),
            )
            if a or b
        ]
        if jours or plages or o.commentaire:
            out.append({"jours": jours, "plages": plages, "commentaire": o.commentaire})
    if service.commentaire_plage_ouverture:
        out.append({"jours": "", "plages": [], "commentaire": service.commentaire_plage_ouverture})
    return out


def _address(a: AddressIn) -> dict[str, Any]:
    lines = a.lignes or [a.complement1, a.complement2, a.numero_voie, a.service_distribution]
    return {
        "type": a.type_adresse,
        "lines": [line for line in lines if line],
        "postcode": a.code_postal,
        "city": a.nom_commune,
        "country": a.pays,
        "lat": _float(a.latitude),
        "lon": _float(a.longitude),
        "accessibility": ACCESSIBILITY.get(a.accessibilite.upper(), a.accessibilite),
        "accessibility_note": a.note_accessibilite,
    }


def _siren(service: ServiceIn) -> str:
    siren, siret = service.siren.replace(" ", ""), service.siret.replace(" ", "")
    if len(siren) == 9 and siren.isdigit():
        return siren
    if len(siret) == 14 and siret.isdigit():
        return siret[:9]
    return ""


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


# --- The import ---------------------------------------------------------------------------------------------


@dataclass
class AnnuaireReport:
    """What an import of the Annuaire changed. Warnings are French sentences saying which record."""

    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    warnings: list[str] = field(default_factory=list)
    pivots: dict[str, int] = field(default_factory=dict)


@dataclass
class _Wanted:
    where: str
    fields: dict[str, Any]
    served: set[int]
    derived_parent: str | None = None


class _Communes:
    """INSEE code → current commune pk, through `commune_resolve` for old/delegated codes (cached)."""

    def __init__(self) -> None:
        rows = Commune.objects.filter(kind=CommuneKind.CURRENT).values_list("pk", "insee_code", "departement_id")
        self.current = {code: pk for pk, code, _ in rows}
        self.info = {pk: (code, dep) for pk, code, dep in rows}
        self.cache: dict[str, int | str] = {}

    def resolve(self, code: str) -> int | str:
        """The pk of the current commune, or the French reason why there is none."""
        if code in self.current:
            return self.current[code]
        if code not in self.cache:
            try:
                commune = commune_resolve(code).commune
                self.cache[code] = commune.pk
                self.info.setdefault(commune.pk, (commune.insee_code, commune.departement_id))
            except DomainError as exc:
                self.cache[code] = exc.message
        return self.cache[code]


def _where(index: int, record: Any) -> str:
    ident = record.get("id") if isinstance(record, dict) else None
    return f"Enregistrement n° {index + 1}" + (f" (id {ident})" if ident not in (None, "") else "")


def _parse(index: int, record: Any) -> ServiceIn:
    where = _where(index, record)
    details = {"enregistrement": index + 1}
    if not isinstance(record, dict):
        raise ImportFailed(f"{where} : ce n'est pas un objet JSON ({type(record).__name__}).", details=details)
    details["id"] = record.get("id")
    for key in ("id", "nom"):
        if record.get(key) in (None, "") or (isinstance(record.get(key), str) and not record[key].strip()):
            raise ImportFailed(f"{where} : champ « {key} » manquant.", details=details)
    try:
        service = ServiceIn.model_validate(record)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in exc.errors()[:5])
        raise ImportFailed(f"{where} : enregistrement invalide ({problems}).", details=details) from exc
    if len(service.id) > 64:
        raise ImportFailed(f"{where} : identifiant trop long (64 caractères au plus).", details=details)
    return service


def _derived_candidates(pivots: list[str], commune_pk: int | None, served: set[int], communes: _Communes) -> set[str]:
    if commune_pk is None or commune_pk not in communes.info:
        return set()
    code, dep = communes.info[commune_pk]
    social = special_statuses()["social_security"]["served_by"].get(dep, dep)
    keys: set[str] = set()
    for pivot in pivots:
        if pivot == "mairie" and served == {commune_pk}:
            keys.add(f"mairie:{code}")
        elif pivot in ("caf", "cpam"):
            keys.add(f"{pivot}:{social}")
        elif pivot == "maison_handicapees":
            keys.add(f"mdph:{dep}")
        elif pivot == "prefecture":
            keys.add("prefecture:977-978" if dep in ("977", "978") else f"prefecture:{dep}")
    return keys


BATCH = 1000


@dataclass
class _Run:
    """What the import keeps between batches: small per-record facts, never the records themselves."""

    report: AnnuaireReport
    communes: _Communes
    full: bool
    pks: dict[str, int]  # key → pk of every Annuaire body, existing or created
    seen: set[str] = field(default_factory=set)
    children: dict[str, tuple[str, str]] = field(default_factory=dict)  # child id → (parent id, where)
    derived: dict[str, str] = field(default_factory=dict)  # key → derived body key it is an office of
    served: dict[str, tuple[int, ...]] = field(default_factory=dict)  # key → communes (sorted; small in memory)
    created: set[str] = field(default_factory=set)
    unchanged: set[str] = field(default_factory=set)
    relinked: int = 0  # offices not in this (partial) import whose parent link it changed


def _wanted(i: int, record: Any, run: _Run) -> tuple[str, _Wanted]:
    report, communes = run.report, run.communes
    s = _parse(i, record)
    where = f"Enregistrement n° {i + 1} (id {s.id}, « {s.nom} »)"
    key = f"annuaire:{s.id}"
    if key in run.seen:
        report.warnings.append(f"{where} : identifiant en double, l'enregistrement précédent est remplacé.")
    pivots = _unique(p.type_service_local for p in s.pivot)
    for p in pivots:
        report.pivots[p] = report.pivots.get(p, 0) + 1
    commune_pk: int | None = None
    if s.code_insee_commune:
        found = communes.resolve(s.code_insee_commune)
        if isinstance(found, int):
            commune_pk = found
        else:
            report.warnings.append(
                f"{where} : commune d'implantation {s.code_insee_commune} inconnue ({found}) ; importé sans commune."
            )
    else:
        report.warnings.append(f"{where} : pas de commune d'implantation (code_insee_commune vide).")
    served: set[int] = set()
    for code in _unique(c for p in s.pivot for c in p.code_insee_commune):
        found = communes.resolve(code)
        if isinstance(found, int):
            served.add(found)
        else:
            report.warnings.append(f"{where} : commune desservie {code} inconnue ({found}) ; ignorée.")
    url = s.url_service_public if len(s.url_service_public) <= 200 else ""
    fields = {
        "kind": BodyKind.OFFICE,
        "name": s.nom[:250],
        "siren": _siren(s),
        "pivots": pivots,
        "commune_id": commune_pk,
        "addresses": [_address(a) for a in s.adresse],
        "phones": [{"number": p.valeur, "description": p.description} for p in s.telephone if p.valeur],
        "emails": s.adresse_courriel,
        "websites": [{"url": w.valeur, "label": w.libelle} for w in s.site_internet if w.valeur],
        "opening_hours": _opening_hours(s),
        "annuaire_id": s.id,
        "annuaire_url": url,
        "source": SOURCE,
        "active": True,
    }
    candidates = _derived_candidates(pivots, commune_pk, served, communes)
    for h in s.hierarchie:
        if h.type_hierarchie == "Service Fils" and h.service:
            if h.service in run.children and run.children[h.service][0] != s.id:
                report.warnings.append(
                    f"{where} : le service {h.service} est déjà rattaché à {run.children[h.service][0]} ; "
                    "rattachement ignoré."
                )
                continue
            run.children[h.service] = (s.id, where)
    return key, _Wanted(
        where=where, fields=fields, served=served, derived_parent=candidates.pop() if len(candidates) == 1 else None
    )


def _write_batch(batch: dict[str, _Wanted], run: _Run) -> None:
    """Create or update one batch of offices (parents are linked at the end, once every office exists)."""
    existing = {b.key: b for b in Body.objects.filter(key__in=list(batch))}
    new = [Body(key=k, parent_id=None, **w.fields) for k, w in batch.items() if k not in existing]
    Body.objects.bulk_create(new, batch_size=BATCH)
    for body in Body.objects.filter(key__in=[b.key for b in new]).values_list("key", "pk"):
        run.pks[body[0]] = body[1]
        run.created.add(body[0])
    changed = []
    for key, w in batch.items():
        run.seen.add(key)
        if w.derived_parent:
            run.derived[key] = w.derived_parent
        else:
            run.derived.pop(key, None)
        if w.served:
            run.served[key] = tuple(sorted(w.served))
        else:
            run.served.pop(key, None)
        old = existing.get(key)
        if old is None:
            continue
        if any(getattr(old, f) != w.fields[f] for f in FIELDS if f != "parent_id"):
            changed.append(Body(pk=old.pk, key=key, parent_id=old.parent_id, **w.fields))
        else:
            run.unchanged.add(key)
    Body.objects.bulk_update(
        changed, [f.removesuffix("_id") if f == "commune_id" else f for f in FIELDS if f != "parent_id"], batch_size=500
    )


@transaction.atomic
def annuaire_import(
    records_or_path: Any, *, full: bool = True, progress: Progress | None = None, tempdir: Path | None = None
) -> AnnuaireReport:
    """Create or update one `Body` (kind office) per record of the Annuaire; see the module docstring.

    Streams: records are read one at a time (ijson) and written by batches of 1,000, so memory stays bounded
    whatever the size of the export; only keys, parent links and served communes are kept between batches.
    `full`: the input is the whole Annuaire, so offices absent from it are deactivated. A partial import
    (`full=False`) only creates and updates.
    """
    report = AnnuaireReport()
    if isinstance(records_or_path, str | Path):
        source = _open(Path(records_or_path), tempdir=tempdir)
    else:
        source = Source(iter(_records_of(records_or_path, "données fournies")))
    communes = _Communes()
    run = _Run(
        report=report,
        communes=communes,
        full=full,
        pks=dict(Body.objects.filter(source=SOURCE).values_list("key", "pk")),
    )
    step = progress or (lambda label, done, total: None)
    try:
        batch: dict[str, _Wanted] = {}
        count = 0
        for i, record in enumerate(source.records):
            key, wanted = _wanted(i, record, run)
            if key in batch or key in run.seen:
                run.unchanged.discard(key)
            batch[key] = wanted
            count = i + 1
            if len(batch) >= BATCH:
                _write_batch(batch, run)
                batch = {}
                step("Lecture et écriture des services", count, 0)
        if batch:
            _write_batch(batch, run)
        if not count:
            raise ImportFailed("Le fichier ne contient aucun service : rien n'a été importé.")
        step("Lecture et écriture des services", count, count)
        if source.competence is not None:
            for ident, communes_served in _competence(source.competence, communes, report).items():
                if f"annuaire:{ident}" in run.seen:
                    run.served[f"annuaire:{ident}"] = tuple(sorted(communes_served))
    finally:
        for path in source.cleanup:
            path.unlink(missing_ok=True)
    report.records = len(run.seen)
    _link_parents(run)
    _write_served(run)
    if full:
        gone = [pk for k, pk in run.pks.items() if k not in run.seen]
        for start in range(0, len(gone), 500):
            report.deactivated += Body.objects.filter(pk__in=gone[start : start + 500], active=True).update(
                active=False
            )
    report.created = len(run.created)
    report.unchanged = len(run.unchanged - run.created)
    report.updated = report.records - report.created - report.unchanged + run.relinked
    return report


def _link_parents(run: _Run) -> None:
    """Each office's parent: its Annuaire parent ("Service Fils"), else the derived body it is an office of."""
    report = run.report
    for child, (_parent, where) in run.children.items():
        if f"annuaire:{child}" not in run.pks:
            report.warnings.append(f"{where} : service fils {child} absent de l'Annuaire importé ; lien ignoré.")
    derived_keys = set(run.derived.values())
    lookup = derived_keys | {f"caf:{k[5:]}" for k in derived_keys if k.startswith("cpam:")}
    found = {
        key: (pk, pivots)
        for key, pk, pivots in Body.objects.active()
        .exclude(source=SOURCE)
        .filter(key__in=lookup)
        .values_list("key", "pk", "pivots")
    }
    derived: dict[str, int] = {}
    for key in derived_keys:  # a Caisse générale de sécurité sociale is the CAF and the CPAM at once
        if key in found:
            derived[key] = found[key][0]
        elif key.startswith("cpam:") and "cpam" in found.get(f"caf:{key[5:]}", (0, []))[1]:
            derived[key] = found[f"caf:{key[5:]}"][0]
    old = dict(Body.objects.filter(source=SOURCE).values_list("key", "parent_id"))
    annuaire_pks = set(run.pks.values())
    updates = []
    keys = set(run.seen) | {f"annuaire:{c}" for c in run.children}
    for key in keys:
        if key not in run.pks:
            continue
        ident = key.removeprefix("annuaire:")
        parent = run.children.get(ident)
        if parent and f"annuaire:{parent[0]}" in run.pks:
            parent_id = run.pks[f"annuaire:{parent[0]}"]
        elif key not in run.seen:
            continue  # a child of this partial import whose own record is not in it: only its parent link
        elif not run.full and old.get(key) in annuaire_pks:
            parent_id = old[key]  # set by an earlier import of the parent's record
        else:
            parent_id = derived.get(run.derived.get(key, ""))
        if old.get(key) != parent_id:
            updates.append(Body(pk=run.pks[key], parent_id=parent_id))
            if key in run.seen and key not in run.created:
                run.unchanged.discard(key)
            elif key not in run.seen:
                run.relinked += 1
    Body.objects.bulk_update(updates, ["parent"], batch_size=500)


def _write_served(run: _Run) -> None:
    """The communes each office serves (from its record, or from the geographic competence files)."""
    through = Body.served_communes.through
    ids = {run.pks[k]: k for k in run.seen}
    old: dict[int, set[int]] = {}
    for body_id, commune_id in through.objects.filter(body__source=SOURCE).values_list("body_id", "commune_id"):
        if body_id in ids:
            old.setdefault(body_id, set()).add(commune_id)
    changed = {
        pk: run.served.get(key, ()) for pk, key in ids.items() if old.get(pk, set()) != set(run.served.get(key, ()))
    }
    for pk in changed:
        run.unchanged.discard(ids[pk])
    pks = list(changed)
    for start in range(0, len(pks), 500):
        through.objects.filter(body_id__in=pks[start : start + 500]).delete()
    rows = (through(body_id=pk, commune_id=c) for pk, cs in changed.items() for c in cs)
    while chunk := [r for _, r in zip(range(2000), rows, strict=False)]:
        through.objects.bulk_create(chunk)
