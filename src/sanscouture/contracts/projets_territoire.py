"""Action sheets in the national schema « projets-territoire » (v0.1.0, schema.data.gouv.fr): export as CSV or
JSON, import of the same, each file validated with frictionless against the published Table Schema bundled in
data/projets-territoire/ (see its SOURCE.md).

No personal data leaves: the schema's « porteurReferent* » fields (a named person's e-mail, phone, name) stay empty.
`porteurCodeSiret` stays empty too: a body's SIREN is known here, its SIRET (SIREN + NIC of an establishment) is not,
and it is never guessed."""

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from frictionless import Resource, Schema

from .errors import FileInvalid
from .models import ActionSheet, ContractKind, Phase, PhaseStatus

DATA = Path(__file__).parent / "data"
SCHEMA_PATH = DATA / "projets-territoire" / "schema.json"
PROGRAMMES = {
    ContractKind.CRTE: "CRTE",
    ContractKind.PVD: "Petites villes de demain",
    ContractKind.ACV: "Action cœur de ville",
    ContractKind.RURALITE: "Contrat de ruralité",
    ContractKind.PACTE: "Pacte",
    ContractKind.PLAN: "Contrat de plan",
    ContractKind.OTHER: "Autre contrat",
}
MAX_ROWS = 5000


@cache
def schema() -> Schema:
    # A dict, not a path: frictionless refuses absolute paths as unsafe; the schema is the bundled published text.
    return Schema.from_descriptor(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@cache
def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in schema().fields)


@cache
def m57_mapping() -> dict[str, dict[str, Any]]:
    """Catalogue competence → {"m57": [function codes], "raison": why} (data/m57.yaml, reviewed line by line)."""
    return yaml.safe_load((DATA / "m57.yaml").read_text(encoding="utf-8"))


@cache
def m57_labels() -> dict[str, str]:
    with (DATA / "projets-territoire" / "referentiel_competences_M57_2025.csv").open(encoding="utf-8") as f:
        return {row["code"]: row["competence-sous-competence"] for row in csv.DictReader(f)}


@cache
def sgpe_levers() -> frozenset[str]:
    with (DATA / "projets-territoire" / "leviers_SGPE_03_2025.csv").open(encoding="utf-8") as f:
        return frozenset(row["levier"] for row in csv.DictReader(f))


def m57_for(competences: Iterable[str]) -> list[str]:
    mapping = m57_mapping()
    return list(dict.fromkeys(code for c in competences for code in mapping.get(c, {}).get("m57", [])))


def competences_for_m57(codes: Iterable[str]) -> list[str]:
    """Every catalogue competence whose mapping lists one of `codes` (a function code can cover several)."""
    wanted = set(codes)
    return [c for c, entry in m57_mapping().items() if wanted & set(entry.get("m57", []))]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sheet_record(sheet: ActionSheet) -> dict[str, Any]:
    """One action sheet as a projets-territoire record (arrays as lists)."""
    ids = sheet.external_ids or {}
    return {
        "id": str(sheet.uid),
        "createdAt": _stamp(sheet.created_at),
        "updatedAt": _stamp(sheet.updated_at),
        "nom": sheet.title,
        "description": sheet.description,
        "budgetPrevisionnel": sheet.planned_budget,
        "dateDebutPrevisionnelle": sheet.planned_start.isoformat() if sheet.planned_start else None,
        "phase": Phase(sheet.phase).label,
        "phaseStatut": PhaseStatus(sheet.phase_status).label,
        "programme": PROGRAMMES.get(sheet.contract.kind, ""),
        "porteurCodeSiret": None,
        "porteurReferentEmail": None,
        "porteurReferentTelephone": None,
        "porteurReferentPrenom": None,
        "porteurReferentNom": None,
        "porteurReferentFonction": None,
        "competences": m57_for(sheet.competences),
        "leviers": [lv for lv in sheet.levers if lv in sgpe_levers()],
        "mecId": ids.get("mecId"),
        "tetId": ids.get("tetId"),
        "recocoId": ids.get("recocoId"),
        "collectiviteIds": [],
    }


def records_csv(records: list[dict[str, Any]]) -> bytes:
    """Records as the schema's CSV: one column per field in its order, arrays as JSON text, empty for none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(field_names())
    for record in records:
        row = []
        for name in field_names():
            value = record.get(name)
            if isinstance(value, list):
                row.append(json.dumps(value, ensure_ascii=False) if value else "")
            else:
                row.append("" if value is None else str(value))
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def validation_errors(data: bytes) -> list[str]:
    """The published schema's verdict on a CSV file, as French sentences (empty when valid)."""
    report = Resource(data, format="csv", encoding="utf-8", schema=schema()).validate()
    if report.valid:
        return []
    out = []
    for task in report.tasks:
        for e in task.errors[:50]:
            row, column = getattr(e, "row_number", None), getattr(e, "field_name", None)
            where = f"ligne {row}, champ « {column} »" if row and column else (f"ligne {row}" if row else "fichier")
            out.append(f"{where} : {e.type} — {getattr(e, 'note', '') or e.message}"[:300])
    for e in report.errors[:10]:
        out.append(f"fichier : {e.type} — {e.message}"[:300])
    return out or ["fichier non conforme au schéma projets-territoire"]


def export_sheets(sheets: Iterable[ActionSheet]) -> tuple[list[dict[str, Any]], bytes]:
    """Records and their CSV, checked against the published schema (an export that does not conform is a bug)."""
    records = [sheet_record(s) for s in sheets]
    data = records_csv(records)
    problems = validation_errors(data)
    if problems:
        raise RuntimeError(f"export projets-territoire non conforme : {problems[:3]}")
    return records, data


def parse(data: bytes, *, fmt: str) -> list[dict[str, Any]]:
    """Read a projets-territoire file (CSV, or JSON: a list of records), validate it against the published schema,
    and return its records (arrays as lists). Refused as a whole, with the lines at fault."""
    if fmt == "json":
        try:
            loaded = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FileInvalid("Le fichier n'est pas un JSON lisible (UTF-8).") from exc
        if not isinstance(loaded, list) or not all(isinstance(r, dict) for r in loaded):
            raise FileInvalid("Le JSON attendu est une liste d'objets « projet » du schéma projets-territoire.")
        data = records_csv(loaded)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileInvalid("Le fichier CSV doit être encodé en UTF-8.") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) > MAX_ROWS:
        raise FileInvalid(f"Au plus {MAX_ROWS} projets par fichier.")
    problems = validation_errors(text.encode("utf-8"))
    if problems:
        raise FileInvalid(
            "Le fichier ne respecte pas le schéma projets-territoire : " + " ; ".join(problems[:5]),
            details={"erreurs": problems},
        )
    records = []
    for row in rows:
        record: dict[str, Any] = {}
        for name, value in row.items():
            if name in ("competences", "leviers", "collectiviteIds"):
                record[name] = json.loads(value) if value else []
            else:
                record[name] = value or None
        records.append(record)
    return records
