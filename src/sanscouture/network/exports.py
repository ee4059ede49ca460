"""The figures as CSV (semicolon-separated, UTF-8 with BOM: opens as is in a spreadsheet), and the open-data
export of the indicators, with every count under 5 (and every rate computed on fewer than 5 events) left empty."""

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
    """One body's open-data row: counts under 5 emptied, and the rates and delays drawn from fewer than 5 events."""
    row = _flat(node)
    for count in ("activite", "partenaires", "orientations_recues_decidees", "courtage_total"):
        if row.get(count) is not None and 0 < row[count] < SMALL:
            row[count] = None
    if (node.get("orientations_recues_decidees") or 0) < SMALL:
        row["taux_refus"] = row["delai_median_acceptation_heures"] = None
    return row


def open_data_csv(nodes: list[dict[str, Any]]) -> str:
    return to_csv((suppressed(n) for n in nodes if n.get("dans_territoire", True)), OPEN_COLUMNS)
