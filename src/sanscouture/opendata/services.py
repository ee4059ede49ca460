"""The national « qui fait quoi » dataset: every current commune × every competence → the competent body.

One pass of `route_everywhere()`, written batch by batch to CSV and Parquet (bounded memory), stored in the
data directory per edition (the routing date and the routing version): ADR 020.
"""

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings

from sanscouture.bodies.models import Body
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import RoutingVersion
from sanscouture.competences.routing import check_date, route_everywhere
from sanscouture.territories.models import Commune

Progress = Callable[[str, int, int], None]
NAME = "qui-fait-quoi"
# The kinds of reason routing gives (competences.routing.Reason, ADR 011), with their meaning for re-users.
REASONS = {
    "declaration": "déclaration d'un agent de la structure (statuts, convention, délibération, arrêté)",
    "statut_particulier": "régime que la loi fixe pour ce territoire",
    "banatic": "compétence exercée selon BANATIC",
    "loi": "répartition par défaut fixée par la loi",
    "facultative": "compétence facultative restée à la commune faute de transfert déclaré",
    "annuaire": "guichet de l'Annuaire de l'administration compétent pour la commune",
    "guichet": "type de guichet désigné par sa nature",
    "non_modelise": "non modélisé : Sans Couture ne sait pas répondre ici",
    "inconnu": "inconnu",
}
COLUMNS = (
    "commune",
    "nom_commune",
    "competence",
    "libelle_competence",
    "siren",
    "structure",
    "raison",
    "references",
    "date_edition",
)
BATCH_COMMUNES = 1000  # ≈ 56,000 rows per Parquet row group: memory stays flat over the 35,000 communes
ARROW_SCHEMA = pa.schema(
    [pa.field(c, pa.date32() if c == "date_edition" else pa.string(), nullable=c == "siren") for c in COLUMNS]
)


@dataclass(frozen=True)
class Edition:
    """One generated edition: the date routing answered for, the routing version, the files and their size."""

    on: date
    version: int
    csv: Path
    parquet: Path
    rows: int
    communes: int

    @property
    def stem(self) -> str:
        return self.csv.name.removesuffix(".csv")


def qui_fait_quoi_schema() -> dict:
    """The Table Schema (frictionless) of the dataset: types, patterns and the lists of allowed values."""
    competences = sorted(catalogue().competences)
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": NAME,
        "title": "Qui fait quoi : la structure compétente pour chaque compétence dans chaque commune",
        "description": "Une ligne par commune actuelle, compétence et structure compétente (plusieurs lignes pour "
        "une compétence partagée, une ligne sans structure quand aucune n'est référencée). Produit par le "
        "routage de Sans Couture à la date d'édition.",
        "homepage": "https://github.com/sanscouture/sanscouture",
        "licenses": [
            {
                "name": "etalab-2.0",
                "title": "Licence Ouverte / Open Licence version 2.0",
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            }
        ],
        "fields": [
            {
                "name": "commune",
                "title": "Code INSEE de la commune",
                "type": "string",
                "constraints": {"required": True, "pattern": "[0-9][0-9AB][0-9]{3}"},
                "example": "34274",
            },
            {
                "name": "nom_commune",
                "title": "Nom de la commune",
                "type": "string",
                "constraints": {"required": True},
                "example": "Saint-Martin-de-Londres",
            },
            {
                "name": "competence",
                "title": "Code de la compétence",
                "type": "string",
                "constraints": {"required": True, "enum": competences},
                "example": "dechets-collecte",
            },
            {
                "name": "libelle_competence",
                "title": "Libellé de la compétence",
                "type": "string",
                "constraints": {"required": True},
            },
            {
                "name": "siren",
                "title": "SIREN de la structure compétente (vide s'il n'est pas connu)",
                "type": "string",
                "constraints": {"pattern": "[0-9]{9}"},
                "example": "243400694",
            },
            {
                "name": "structure",
                "title": "Nom de la structure compétente (vide si aucune n'est référencée)",
                "type": "string",
            },
            {
                "name": "raison",
                "title": "Type de la raison : " + " ; ".join(f"{k} = {v}" for k, v in REASONS.items()),
                "type": "string",
                "constraints": {"required": True, "enum": list(REASONS)},
            },
            {
                "name": "references",
                "title": "Références (textes de loi, sources), séparées par « ; »",
                "type": "string",
            },
            {
                "name": "date_edition",
                "title": "Date à laquelle la réponse est donnée",
                "type": "date",
                "format": "default",
                "constraints": {"required": True},
            },
        ],
        "missingValues": [""],
    }


def _directory() -> Path:
    return Path(settings.DATA_DIR) / "opendata"


def _stem(on: date, version: int) -> str:
    return f"{NAME}-{on.isoformat()}-v{version}"


def _routing_version() -> int:
    return RoutingVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def qui_fait_quoi_write(*, directory: Path, on: date | None = None, progress: Progress | None = None) -> Edition:
    """Write the dataset for `on` (default: today) into `directory` (CSV + Parquet, renamed into place whole)."""
    on = check_date(on)
    directory.mkdir(parents=True, exist_ok=True)
    version = _routing_version()
    stem = _stem(on, version)
    sirens = dict(Body.objects.exclude(siren="").values_list("pk", "siren"))
    total = Commune.objects.current().count()
    tmp_csv = directory / f".{stem}.{os.getpid()}.csv"
    tmp_parquet = directory / f".{stem}.{os.getpid()}.parquet"
    rows = communes = 0
    cols: list[list] = [[] for _ in COLUMNS[:-1]]  # date_edition is one value, repeated at flush
    c_commune, c_nom, c_comp, c_label, c_siren, c_structure, c_raison, c_refs = cols
    joined: dict[tuple[str, ...], str] = {}
    no_body = (None,)
    try:
        with (
            pq.ParquetWriter(tmp_parquet, ARROW_SCHEMA, compression="zstd") as parquet,
            pacsv.CSVWriter(tmp_csv, ARROW_SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed")) as out,
        ):
            last = None
            for place, comp, answer in route_everywhere(on=on):
                if place is not last:
                    last = place
                    communes += 1
                    if communes % BATCH_COMMUNES == 0:
                        _flush(cols, on, parquet, out)
                        if progress:
                            progress("communes", communes, total)
                reason = answer.reason
                refs = joined.get(reason.references)
                if refs is None:
                    refs = joined[reason.references] = " ; ".join(reason.references)
                # The hot loop (2.4 million rows for France): appends only, no tuple per row.
                for body in answer.bodies or no_body:
                    c_commune.append(place.insee_code)
                    c_nom.append(place.name)
                    c_comp.append(comp.code)
                    c_label.append(comp.label)
                    if body is None:
                        c_siren.append(None)
                        c_structure.append("")
                    else:
                        c_siren.append(sirens.get(body.id))
                        c_structure.append(body.name)
                    c_raison.append(reason.kind)
                    c_refs.append(refs)
                    rows += 1
            _flush(cols, on, parquet, out)
            if progress:
                progress("communes", communes, max(total, communes))
        final_csv, final_parquet = directory / f"{stem}.csv", directory / f"{stem}.parquet"
        tmp_parquet.replace(final_parquet)
        tmp_csv.replace(final_csv)
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_parquet.unlink(missing_ok=True)
    # Written last: an edition whose metadata exists is complete.
    (directory / f"{stem}.json").write_text(json.dumps({"rows": rows, "communes": communes}))
    return Edition(on=on, version=version, csv=final_csv, parquet=final_parquet, rows=rows, communes=communes)


def _flush(cols: list[list], on: date, *writers: pq.ParquetWriter | pacsv.CSVWriter) -> None:
    if cols[0]:
        batch = pa.record_batch([*cols, pa.array([on] * len(cols[0]), pa.date32())], schema=ARROW_SCHEMA)
        for writer in writers:
            writer.write_batch(batch)
        for col in cols:
            col.clear()


def qui_fait_quoi_edition(*, on: date | None = None, progress: Progress | None = None) -> Edition:
    """The edition for `on` (default: today) at the current routing version: the stored one, or generated now.

    One process generates at a time (a file lock); the others wait and then read what it wrote. Older
    editions are removed once the new one is in place."""
    on = check_date(on)
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    stem = _stem(on, _routing_version())
    edition = _stored(directory, stem, on)
    if edition:
        return edition
    with (directory / f".{NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        edition = _stored(directory, stem, on) or qui_fait_quoi_write(directory=directory, on=on, progress=progress)
    for old in directory.glob(f"{NAME}-*"):
        if not old.name.startswith(edition.stem + "."):
            old.unlink(missing_ok=True)
    return edition


def _stored(directory: Path, stem: str, on: date) -> Edition | None:
    meta = directory / f"{stem}.json"
    if not meta.exists():
        return None
    counts = json.loads(meta.read_text())
    version = int(stem.rsplit("-v", 1)[1])
    return Edition(
        on=on,
        version=version,
        csv=directory / f"{stem}.csv",
        parquet=directory / f"{stem}.parquet",
        rows=counts["rows"],
        communes=counts["communes"],
    )
