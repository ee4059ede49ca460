"""Import of the official découpage administratif (COG/DGCL) as packaged by @etalab/decoupage-administratif.

Reads the package's own JSON files (`regions.json`, `departements.json`, `communes.json`, `epci.json`,
`ept.json`) from a folder, from the npm tarball, or from the bundled compact file. One transaction:
a malformed or truncated file changes nothing and the error says where it failed.
"""

import gzip
import io
import json
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from sanscouture.bulk import bulk_insert
from sanscouture.errors import ImportFailed
from sanscouture.safetext import refuse_control_escapes

from .models import (
    Commune,
    CommuneKind,
    CommunePeriod,
    Departement,
    Edition,
    Epci,
    EpciKind,
    Ept,
    FormerCode,
    Postcode,
    Region,
)
from .text import normalize

FILES = ("regions", "departements", "communes", "epci", "ept")
# The COG year each published version of @etalab/decoupage-administratif describes (checked by counting the
# current communes of each against INSEE's yearly totals; see territories/data/SOURCE.md). Another version
# needs `--date`.
EDITION_DATES = {
    "0.8.0": date(2019, 1, 1),
    "1.1.1": date(2021, 1, 1),
    "2.3.1": date(2022, 1, 1),
    "3.1.1": date(2023, 1, 1),
    "4.1.0": date(2024, 1, 1),
    "5.3.0": date(2025, 1, 1),
    "6.0.0": date(2026, 1, 1),
}
# One row of the dated referential: code, name, département, région, EPCI siren, kind and name, EPT siren,
# start, end (ISO dates, end None while open).
Period = list
BUNDLED = Path(__file__).parent / "data" / "decoupage-administratif.json.gz"
KIND_BY_TYPE = {
    "commune-actuelle": CommuneKind.CURRENT,
    "commune-deleguee": CommuneKind.DELEGATED,
    "commune-associee": CommuneKind.ASSOCIATED,
    "arrondissement-municipal": CommuneKind.ARRONDISSEMENT,
}

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import changed, per kind of object: created, updated, deleted."""

    source: str
    version: str
    changes: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, kind: str, what: str, n: int = 1) -> None:
        self.changes.setdefault(kind, {"créés": 0, "modifiés": 0, "supprimés": 0})[what] += n

    @property
    def changed(self) -> bool:
        return any(any(v.values()) for v in self.changes.values())


def read_source(path: Path | None = None) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Read the official files; returns (records by file name, version). Default: the bundled edition."""
    path = path or BUNDLED
    if not path.exists():
        raise ImportFailed(f"Fichier introuvable : {path}")
    try:
        if path.is_dir():
            data_dir = path / "data" if (path / "data").is_dir() else path
            data = {
                name: _load_json((data_dir / f"{name}.json").read_bytes(), f"{name}.json")
                for name in FILES
                if (data_dir / f"{name}.json").exists() or name != "ept"
            }
            version = _version_from_package(path / "package.json") or data_dir.name
        elif path.name.endswith((".tgz", ".tar.gz")):
            data, version = _read_tarball(path)
        elif path.name.endswith(".json.gz"):
            bundle = _load_json(gzip.decompress(path.read_bytes()), path.name)
            if not isinstance(bundle, dict) or "files" not in bundle:
                raise ImportFailed(f"{path.name} : ce n'est pas un fichier de référentiel Sans Couture.")
            data, version = bundle["files"], str(bundle.get("version", ""))
            if "history" in bundle:
                data["history"] = bundle["history"]
            if "effective" in bundle:
                data["effective"] = bundle["effective"]
        else:
            raise ImportFailed(
                f"{path} : format non reconnu. Attendu : le dossier du paquet npm "
                "@etalab/decoupage-administratif, son archive .tgz, ou un fichier .json.gz."
            )
    except FileNotFoundError as exc:
        raise ImportFailed(f"Fichier introuvable : {exc.filename}") from exc
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise ImportFailed(f"{path} : fichier illisible ou tronqué ({exc}).") from exc
    # Editions before 2023 have no ept.json: their EPT are unknown, not absent.
    data.setdefault("ept", None)  # type: ignore[arg-type]
    for name in FILES:
        if name == "ept" and data["ept"] is None:
            continue
        if not isinstance(data.get(name), list):
            raise ImportFailed(f"{name}.json manque ou n'est pas une liste d'enregistrements.")
    return data, version


def _load_json(raw: bytes, where: str) -> Any:
    refuse_control_escapes(raw, where)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{where} : JSON invalide ({exc}).", details={"fichier": where}) from exc


def _version_from_package(path: Path) -> str:
    if not path.exists():
        return ""
    return str(_load_json(path.read_bytes(), "package.json").get("version", ""))


def _read_tarball(path: Path) -> tuple[dict[str, Any], str]:
    data: dict[str, Any] = {}
    version = ""
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            name = Path(member.name)
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is None:
                continue
            if name.name == "package.json" and name.parent.name == "package":
                version = str(_load_json(extracted.read(), "package.json").get("version", ""))
            elif name.parent.name == "data" and name.stem in FILES and name.suffix == ".json":
                data[name.stem] = _load_json(io.BufferedReader(extracted).read(), name.name)  # type: ignore[arg-type]
    return data, version


def _req(record: dict[str, Any], key: str, where: str) -> Any:
    value = record.get(key)
    if value in (None, ""):
        raise ImportFailed(
            f"{where} : champ « {key} » manquant dans {json.dumps(record)[:200]}", details={"fichier": where}
        )
    return value


@transaction.atomic
def referential_import(
    data: dict[str, Any],
    *,
    source: str,
    version: str,
    effective: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create, update or delete regions, départements, EPCI, EPT and communes to match `data`, and extend the
    dated referential (communes as they stood, with their EPCI) with this edition, dated `effective`."""
    report = ImportReport(source=source, version=version)
    step = progress or (lambda label, done, total: None)
    # The COG an edition describes: given, known for the published versions, or the 1st of January of this year.
    effective = (
        effective
        or EDITION_DATES.get(version.removesuffix("-subset"))
        or (date.fromisoformat(data["effective"]) if data.get("effective") else None)
        or date(date.today().year, 1, 1)
    )
    latest = Edition.objects.filter(effective__isnull=False).order_by("-effective").values_list("effective", flat=True)
    if latest and effective < latest[0]:
        raise ImportFailed(
            f"L'édition {version} décrit le {effective:%d/%m/%Y}, avant l'édition déjà chargée "
            f"({latest[0]:%d/%m/%Y}) : importez les éditions dans l'ordre chronologique.",
            details={"date": effective.isoformat(), "chargee": latest[0].isoformat()},
        )
    if data.get("ept") is None:
        data = {
            **data,
            "ept": [{"code": s, "nom": n, "membres": []} for s, n in Ept.objects.values_list("siren", "name")],
        }

    regions = {
        _req(r, "code", "regions.json"): Region(
            code=r["code"],
            name=_req(r, "nom", "regions.json"),
            type_liaison=r.get("typeLiaison") or 0,
            zone=r.get("zone") or "metro",
            chef_lieu=r.get("chefLieu") or "",
        )
        for r in data["regions"]
    }
    _sync(Region, regions, report, "régions", ["name", "type_liaison", "zone", "chef_lieu"])
    step("régions", len(regions), len(regions))

    departements = {}
    for d in data["departements"]:
        region_code = _req(d, "region", "departements.json")
        if region_code not in regions:
            raise ImportFailed(
                f"departements.json : région {region_code} inconnue pour le département {d.get('code')}."
            )
        departements[_req(d, "code", "departements.json")] = Departement(
            code=d["code"],
            name=_req(d, "nom", "departements.json"),
            region_id=region_code,
            type_liaison=d.get("typeLiaison") or 0,
            zone=d.get("zone") or "metro",
            chef_lieu=d.get("chefLieu") or "",
        )
    _sync(Departement, departements, report, "départements", ["name", "region_id", "type_liaison", "zone", "chef_lieu"])
    step("départements", len(departements), len(departements))

    epcis, epci_of = {}, {}
    for e in data["epci"]:
        kind = _req(e, "type", "epci.json")
        if kind not in EpciKind.values:
            raise ImportFailed(f"epci.json : type d'EPCI inconnu « {kind} » pour {e.get('code')}.")
        siren = _req(e, "code", "epci.json")
        epcis[siren] = Epci(
            siren=siren,
            name=_req(e, "nom", "epci.json"),
            kind=kind,
            financing=e.get("modeFinancement") or "",
            population=e.get("populationTotale"),
        )
        for member in e.get("membres") or []:
            epci_of[_req(member, "code", "epci.json")] = siren
    _sync(Epci, epcis, report, "EPCI", ["name", "kind", "financing", "population"])
    step("EPCI", len(epcis), len(epcis))

    epts, ept_of = {}, {}
    for e in data["ept"]:
        siren = _req(e, "code", "ept.json")
        epts[siren] = Ept(siren=siren, name=_req(e, "nom", "ept.json"), population=e.get("populationTotale"))
        for member in e.get("membres") or []:
            ept_of[_req(member, "code", "ept.json")] = siren
    _sync(Ept, epts, report, "EPT", ["name", "population"])

    if not ept_of:  # an edition without ept.json: EPT membership as last known
        ept_of = dict(
            Commune.objects.filter(kind=CommuneKind.CURRENT, ept__isnull=False).values_list("insee_code", "ept_id")
        )
    _import_communes(data["communes"], departements, epci_of, ept_of, report, step)
    _extend_history(data, epcis, epci_of, ept_of, effective, report)
    Edition.objects.create(source=source, version=version, effective=effective, summary=report.changes)
    return report


def edition_states(
    communes: Iterable[dict[str, Any]],
    epcis: dict[str, tuple[str, str]],
    epci_of: dict[str, str],
    ept_of: dict[str, str],
) -> dict[str, tuple[str, ...]]:
    """What the dated referential keeps of each current commune of an edition: code → (name, département,
    région, EPCI siren, EPCI kind, EPCI name, EPT siren). `epcis`: siren → (kind, name)."""
    states = {}
    for r in communes:
        if r.get("type") != "commune-actuelle":
            continue
        code, epci = r["code"], epci_of.get(r["code"], "")
        kind, name = epcis.get(epci, ("", ""))
        # Before 2020 the package gave the COM as `collectiviteOutremer` (code used as département and région).
        dep = r.get("departement") or (r.get("collectiviteOutremer") or {}).get("code", "")
        states[code] = (r["nom"], dep, r.get("region") or dep, epci, kind, name, ept_of.get(code, ""))
    return states


def history_extend(periods: list[Period], states: dict[str, tuple[str, ...]], effective: date) -> list[Period]:
    """The dated referential after an edition describing the territory at `effective`: a commune unchanged
    keeps its open period; a changed one gets a new period from `effective`; a commune gone is closed the day
    before. Nothing is ever deleted (issue 9, item 5)."""
    day_before = (effective - timedelta(days=1)).isoformat()
    open_by_code = {p[0]: p for p in periods if p[9] is None}
    out = [p for p in periods if p[9] is not None]
    for code, p in open_by_code.items():
        state = states.get(code)
        if state is not None and tuple(p[1:8]) == state:
            out.append(p)
        elif p[8] >= effective.isoformat():
            continue  # re-import of the same edition: the new state replaces it
        else:
            out.append([*p[:9], day_before])
    for code, state in states.items():
        p = open_by_code.get(code)
        if p is None or tuple(p[1:8]) != state:
            out.append([code, *state, effective.isoformat(), None])
    return sorted(out, key=lambda p: (p[0], p[8]))


PERIOD_COLUMNS = [
    "insee_code",
    "name",
    "departement",
    "region",
    "epci_siren",
    "epci_kind",
    "epci_name",
    "ept_siren",
    "start",
    "end",
]


def _extend_history(
    data: dict[str, Any],
    epcis: dict[str, Epci],
    epci_of: dict[str, str],
    ept_of: dict[str, str],
    effective: date,
    report: ImportReport,
) -> None:
    if data.get("history"):
        # A bundle carries the history of the editions before it (scripts/regenerate_territories.py).
        periods = [list(p) for p in data["history"]["periods"]]
    else:
        periods = [
            [*row[:9], row[9].isoformat() if row[9] else None]
            for row in CommunePeriod.objects.values_list(*PERIOD_COLUMNS)
        ]
        for p in periods:
            p[8] = p[8].isoformat()
    states = edition_states(data["communes"], {s: (e.kind, e.name) for s, e in epcis.items()}, epci_of, ept_of)
    periods = history_extend(periods, states, effective)
    before = CommunePeriod.objects.count()
    CommunePeriod.objects.all().delete()
    for p in periods:  # the dates stay ISO text, as both backends take them, once checked
        date.fromisoformat(p[8])
        if p[9]:
            date.fromisoformat(p[9])
    bulk_insert(CommunePeriod, PERIOD_COLUMNS, periods, prepared={"start", "end"})
    report.count("périodes (référentiel daté)", "créés", max(len(periods) - before, 0))


def _sync(model: type, wanted: dict[str, Any], report: ImportReport, label: str, fields: list[str]) -> None:
    existing = {obj.pk: obj for obj in model.objects.all()}  # type: ignore[attr-defined]
    create, update = [], []
    for pk, obj in wanted.items():
        old = existing.get(pk)
        if old is None:
            create.append(obj)
        elif any(getattr(old, f) != getattr(obj, f) for f in fields):
            update.append(obj)
    model.objects.bulk_create(create, batch_size=2000)  # type: ignore[attr-defined]
    model.objects.bulk_update(update, fields, batch_size=2000)  # type: ignore[attr-defined]
    gone = [pk for pk in existing if pk not in wanted]
    if gone:
        model.objects.filter(pk__in=gone).delete()  # type: ignore[attr-defined]
    report.count(label, "créés", len(create))
    report.count(label, "modifiés", len(update))
    report.count(label, "supprimés", len(gone))


COMMUNE_FIELDS = [
    "name",
    "search_name",
    "type_liaison",
    "zone",
    "departement_id",
    "region_id",
    "parent_id",
    "epci_id",
    "ept_id",
    "siren",
    "population",
    "postcodes",
    "arrondissement",
]


def _import_communes(
    records: Iterable[dict[str, Any]],
    departements: dict[str, Any],
    epci_of: dict[str, str],
    ept_of: dict[str, str],
    report: ImportReport,
    step: Progress,
) -> None:
    records = list(records)
    by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in CommuneKind.values}
    for r in records:
        kind = KIND_BY_TYPE.get(r.get("type", ""))
        if kind is None:
            raise ImportFailed(f"communes.json : type inconnu « {r.get('type')} » pour {r.get('code')}.")
        by_kind[kind].append(r)

    # Existing rows as tuples (no model instance for the 37,000 unchanged ones); new rows inserted by COPY /
    # executemany (sanscouture.bulk, ADR 027), changed ones through bulk_update.
    existing = {
        (row[0], row[1]): row[2:]
        for row in Commune.objects.values_list("insee_code", "kind", "pk", *COMMUNE_FIELDS).iterator(chunk_size=5000)
    }
    seen: set[tuple[str, str]] = set()
    total, done = len(records), 0
    current_ids: dict[str, int] = {}
    # Current communes first: the other kinds point to them.
    for kind in (CommuneKind.CURRENT, CommuneKind.DELEGATED, CommuneKind.ASSOCIATED, CommuneKind.ARRONDISSEMENT):
        create, update = [], []
        for r in by_kind[kind]:
            code = _req(r, "code", "communes.json")
            dep = _req(r, "departement", "communes.json")
            if dep not in departements:
                raise ImportFailed(f"communes.json : département {dep} inconnu pour la commune {code}.")
            parent_id = None
            if kind != CommuneKind.CURRENT:
                parent_code = r.get("chefLieu") or r.get("commune")
                parent_id = current_ids.get(parent_code)
                if parent_id is None:
                    raise ImportFailed(
                        f"communes.json : {code} ({r.get('nom')}) renvoie à la commune {parent_code}, absente."
                    )
            key = (code, kind)
            if key in seen:
                raise ImportFailed(f"communes.json : la commune {code} ({kind}) apparaît deux fois.")
            seen.add(key)
            values = (  # in the order of COMMUNE_FIELDS
                _req(r, "nom", "communes.json"),
                normalize(r["nom"]),
                r.get("typeLiaison") or 0,
                r.get("zone") or "metro",
                dep,
                r.get("region") or departements[dep].region_id,
                parent_id,
                epci_of.get(code) if kind == CommuneKind.CURRENT else None,
                ept_of.get(code) if kind == CommuneKind.CURRENT else None,
                r.get("siren") or "",
                r.get("population"),
                r.get("codesPostaux") or [],
                (r.get("arrondissement") or "") if kind == CommuneKind.CURRENT else "",
            )
            old = existing.get(key)
            if old is None:
                create.append((code, kind, *values))
            elif tuple(old[1:]) != values:
                update.append(
                    Commune(pk=old[0], insee_code=code, kind=kind, **dict(zip(COMMUNE_FIELDS, values, strict=True)))
                )
        bulk_insert(Commune, ["insee_code", "kind", *COMMUNE_FIELDS], create)
        Commune.objects.bulk_update(update, COMMUNE_FIELDS, batch_size=2000)
        report.count("communes", "créés", len(create))
        report.count("communes", "modifiés", len(update))
        if kind == CommuneKind.CURRENT:
            current_ids = dict(Commune.objects.filter(kind=kind).values_list("insee_code", "pk"))
        done += len(by_kind[kind])
        step("communes", done, total)

    gone = [old[0] for key, old in existing.items() if key not in seen]
    if gone:
        Commune.objects.filter(pk__in=gone).delete()
        report.count("communes", "supprimés", len(gone))

    # Postcodes and former codes are fully derived from the commune records: rebuild them.
    Postcode.objects.all().delete()
    bulk_insert(
        Postcode,
        ["code", "commune_id"],
        (
            (pc, current_ids[r["code"]])
            for r in by_kind[CommuneKind.CURRENT]
            for pc in sorted(set(r.get("codesPostaux") or []))
        ),
    )
    FormerCode.objects.all().delete()
    bulk_insert(
        FormerCode,
        ["code", "commune_id"],
        (
            (old, current_ids[r["code"]])
            for r in by_kind[CommuneKind.CURRENT]
            for old in sorted(set(r.get("anciensCodes") or []))
        ),
    )
