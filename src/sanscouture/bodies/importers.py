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
import tarfile
import xml.etree.ElementTree as ET  # noqa: S405 (files from the DILA, parsed without entity expansion)
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from django.db import transaction
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from sanscouture.errors import DomainError, ImportFailed
from sanscouture.safetext import FORBIDDEN_IN_TEXT, describe, refuse_control_escapes
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


# --- Reading the files -------------------------------------------------------------------------------------


def read_annuaire(source: Any) -> list[Any]:
    """The raw records of a path, or of already-decoded data (see the module docstring)."""
    if isinstance(source, str | Path):
        return _read_path(Path(source))
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


def _load_json(raw: bytes, where: str) -> list[Any]:
    refuse_control_escapes(raw, where)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{where} : JSON invalide ou tronqué ({exc}).", details={"fichier": where}) from exc
    return _records_of(data, where)


def _read_path(path: Path) -> list[Any]:
    name = path.name.lower()
    try:
        if path.is_dir():
            return _read_xml_files(sorted(path.rglob("*.xml")), str(path))
        if name.endswith(".xml"):
            return _read_xml_files([path], path.name)
        if name.endswith((".tar.bz2", ".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.endswith("gouv_local.json"):
                        extracted = tar.extractfile(member)
                        if extracted is not None:
                            return _load_json(extracted.read(), f"{path.name}:{member.name}")
            raise ImportFailed(f"{path.name} : l'archive ne contient pas de fichier « *gouv_local.json ».")
        if name.endswith(".json.gz"):
            return _load_json(gzip.decompress(path.read_bytes()), path.name)
        if name.endswith(".json.bz2"):
            return _load_json(bz2.decompress(path.read_bytes()), path.name)
        if name.endswith(".json"):
            return _load_json(path.read_bytes(), path.name)
    except FileNotFoundError as exc:
        raise ImportFailed(f"Fichier introuvable : {exc.filename or path}", details={"fichier": str(path)}) from exc
    except (OSError, EOFError, ValueError, tarfile.TarError) as exc:
        raise ImportFailed(
            f"{path.name} : fichier illisible ou tronqué ({exc}).", details={"fichier": path.name}
        ) from exc
    raise ImportFailed(
        f"{path.name} : format non reconnu. Attendu : .json, .json.gz, .json.bz2, l'archive "
        ".tar.bz2 de l'export, ou un fichier / dossier XML « organismes ».",
        details={"fichier": path.name},
    )


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


@transaction.atomic
def annuaire_import(records_or_path: Any, *, full: bool = True, progress: Progress | None = None) -> AnnuaireReport:
    """Create or update one `Body` (kind office) per record of the Annuaire; see the module docstring.

    `full`: the input is the whole Annuaire, so offices absent from it are deactivated. A partial import
    (`full=False`) only creates and updates.
    """
    report = AnnuaireReport()
    raw = read_annuaire(records_or_path)
    if not raw:
        raise ImportFailed("Le fichier ne contient aucun service : rien n'a été importé.")
    total = len(raw)
    communes = _Communes()
    wanted: dict[str, _Wanted] = {}
    children: dict[str, tuple[str, str]] = {}  # child annuaire id → (parent annuaire id, where)
    for i, record in enumerate(raw):
        s = _parse(i, record)
        where = f"Enregistrement n° {i + 1} (id {s.id}, « {s.nom} »)"
        key = f"annuaire:{s.id}"
        if key in wanted:
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
                    f"{where} : commune d'implantation {s.code_insee_commune} inconnue "
                    f"({found}) ; importé sans commune."
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
        wanted[key] = _Wanted(
            where=where,
            fields=fields,
            served=served,
            derived_parent=candidates.pop() if len(candidates) == 1 else None,
        )
        for h in s.hierarchie:
            if h.type_hierarchie == "Service Fils" and h.service:
                if h.service in children and children[h.service][0] != s.id:
                    report.warnings.append(
                        f"{where} : le service {h.service} est déjà rattaché à "
                        f"{children[h.service][0]} ; rattachement ignoré."
                    )
                    continue
                children[h.service] = (s.id, where)
        if progress and (i % 500 == 0 or i == total - 1):
            progress("Lecture des services", i + 1, total)
    report.records = len(wanted)

    # Create the new offices first, so that every parent exists when the links are made.
    existing = {b.key: b for b in Body.objects.filter(source=SOURCE)}
    new = [Body(key=k, **{f: v for f, v in w.fields.items()}) for k, w in wanted.items() if k not in existing]
    Body.objects.bulk_create(new, batch_size=1000)
    created = {b.key for b in new}
    pks = dict(Body.objects.filter(source=SOURCE).values_list("key", "pk"))
    derived_keys = {w.derived_parent for w in wanted.values() if w.derived_parent}
    # A Caisse générale de sécurité sociale is the CAF and the CPAM at once (no separate `cpam:` body).
    lookup = derived_keys | {f"caf:{k[5:]}" for k in derived_keys if k.startswith("cpam:")}
    found_derived = (
        {
            key: (pk, pivots)
            for key, pk, pivots in Body.objects.active()
            .exclude(source=SOURCE)
            .filter(key__in=lookup)
            .values_list("key", "pk", "pivots")
        }
        if lookup
        else {}
    )
    derived: dict[str, int] = {}
    for key in derived_keys:
        if key in found_derived:
            derived[key] = found_derived[key][0]
        elif key.startswith("cpam:") and "cpam" in found_derived.get(f"caf:{key[5:]}", (0, []))[1]:
            derived[key] = found_derived[f"caf:{key[5:]}"][0]
    annuaire_pks = set(pks.values())
    for child, (_parent, where) in children.items():
        if f"annuaire:{child}" not in pks:
            report.warnings.append(f"{where} : service fils {child} absent de l'Annuaire importé ; lien ignoré.")

    through = Body.served_communes.through
    old_served: dict[int, set[int]] = {}
    for body_id, commune_id in through.objects.filter(body__source=SOURCE).values_list("body_id", "commune_id"):
        old_served.setdefault(body_id, set()).add(commune_id)

    to_update: list[Body] = []
    served_changed: dict[int, set[int]] = {}
    for done, (key, w) in enumerate(wanted.items(), start=1):
        parent_id: int | None = None
        parent = children.get(w.fields["annuaire_id"])
        if parent and f"annuaire:{parent[0]}" in pks:
            parent_id = pks[f"annuaire:{parent[0]}"]
        elif not full and key in existing and existing[key].parent_id and existing[key].parent_id in annuaire_pks:
            parent_id = existing[key].parent_id  # set by an earlier import of the parent's record
        elif w.derived_parent:
            parent_id = derived.get(w.derived_parent)
        w.fields["parent_id"] = parent_id
        pk = pks[key]
        if key in created:
            if parent_id:
                to_update.append(Body(pk=pk, **w.fields))
            if w.served:
                served_changed[pk] = w.served
            report.created += 1
        else:
            old = existing[key]
            changed = any(getattr(old, f) != w.fields[f] for f in FIELDS)
            if changed:
                to_update.append(Body(pk=pk, key=key, **w.fields))
            if old_served.get(pk, set()) != w.served:
                served_changed[pk] = w.served
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        if progress and (done % 500 == 0 or done == len(wanted)):
            progress("Écriture des guichets", done, len(wanted))

    # Children named by a parent of a partial import, whose own record is not in this import.
    for child, (parent, _where) in children.items():
        key = f"annuaire:{child}"
        if key in existing and key not in wanted and existing[key].parent_id != pks[f"annuaire:{parent}"]:
            existing[key].parent_id = pks[f"annuaire:{parent}"]
            to_update.append(existing[key])
            report.updated += 1

    Body.objects.bulk_update(
        to_update,
        [f.removesuffix("_id") if f in ("commune_id", "parent_id") else f for f in FIELDS],
        batch_size=500,
    )
    ids = list(served_changed)
    for start in range(0, len(ids), 500):
        through.objects.filter(body_id__in=ids[start : start + 500]).delete()
    through.objects.bulk_create(
        [through(body_id=pk, commune_id=c) for pk, cs in served_changed.items() for c in cs], batch_size=2000
    )

    if full:
        gone = [b.pk for k, b in existing.items() if k not in wanted and b.active]
        for start in range(0, len(gone), 500):
            Body.objects.filter(pk__in=gone[start : start + 500]).update(active=False)
        report.deactivated = len(gone)
    return report
