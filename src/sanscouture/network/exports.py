"""The figures as CSV (semicolon-separated, UTF-8 with BOM: opens as is in a spreadsheet), and the open-data
export of the indicators, with every count from 1 to 4 left empty, and every rate or delay drawn from such a count: the
refusal rate is empty when the decided, refused or accepted hand-overs number 1 to 4 (a rate of 0.333 on 6 decided
would give 2 refusals back), the acceptance delay when the accepted ones do."""

import csv
import io
from collections.abc import Iterable
from typing import Any

SMALL = 5

NODE_COLUMNS = [
    "id",
    "cle",
    "nom",
    "type",
    "activite",
    "part_inter_institutions",
    "partenaires",
    "reciprocite",
    "delai_median_acceptation_heures",
    "orientations_recues_decidees",
    "taux_refus",
    "delai_median_reponse_avis_heures",
    "intermediarite",
    "contrainte",
    "isolee",
    "courtage_total",
    "courtage_coordinateur",
    "courtage_gardien",
    "courtage_representant",
    "courtage_consultant",
    "courtage_liaison",
]
LINK_COLUMNS = [
    "source",
    "cible",
    "interactions",
    "orientations",
    "acceptees",
    "refusees",
    "taux_refus",
    "delai_median_acceptation_heures",
    "confiance",
    "valeur",
]
OPEN_COLUMNS = [
    "cle",
    "nom",
    "type",
    "activite",
    "partenaires",
    "orientations_recues_decidees",
    "taux_refus",
    "delai_median_acceptation_heures",
    "intermediarite",
    "courtage_total",
    "isolee",
]


def _flat(node: dict[str, Any]) -> dict[str, Any]:
    row = dict(node)
    for role, n in node.get("courtage", {}).items():
        row[f"courtage_{role}"] = n
    return row


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.4g}".replace(".", ",")  # French spreadsheets read a decimal comma
    return value


def to_csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def nodes_csv(nodes: list[dict[str, Any]]) -> str:
    return to_csv((_flat(n) for n in nodes), NODE_COLUMNS)


def links_csv(links: list[dict[str, Any]]) -> str:
    return to_csv(links, LINK_COLUMNS)


def suppressed(node: dict[str, Any]) -> dict[str, Any]:
    """One body's open-data row: counts from 1 to 4 emptied, and every rate or delay drawn from one, or whose
    complement is one (refused = rate × decided, accepted = decided − refused)."""
    row = _flat(node)
    for count in ("activite", "partenaires", "orientations_recues_decidees", "courtage_total"):
        if row.get(count) is not None and 0 < row[count] < SMALL:
            row[count] = None
    decided = node.get("orientations_recues_decidees") or 0
    refused = node.get("orientations_recues_refusees")
    if refused is None:
        refused = round((node.get("taux_refus") or 0) * decided)
    accepted = decided - refused
    if any(0 < n < SMALL for n in (decided, refused, accepted)):
        row["taux_refus"] = None
    if accepted < SMALL:  # the median acceptance delay is drawn from the accepted hand-overs
        row["delai_median_acceptation_heures"] = None
    return row


def open_data_csv(nodes: list[dict[str, Any]]) -> str:
    return to_csv((suppressed(n) for n in nodes if n.get("dans_territoire", True)), OPEN_COLUMNS)
