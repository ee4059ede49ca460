"""`sanscouture export qui-fait-quoi|data-inclusion [--date J] [--sortie DOSSIER]`: write the open datasets
(issue 15).

Without --sortie, the edition goes to the data directory, where /opendata/ serves it (ADR 020)."""

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from sanscouture.errors import DomainError
from sanscouture.opendata.data_inclusion import DATASETS, Export, data_inclusion_edition, data_inclusion_write
from sanscouture.opendata.services import qui_fait_quoi_edition, qui_fait_quoi_schema, qui_fait_quoi_write

from ._progress import progress_bars


class Command(BaseCommand):
    help = (
        "Exporte les données ouvertes : le jeu national « qui fait quoi » (CSV, Parquet, Table Schema) ou "
        "l'export data·inclusion (structures et services, schéma v1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{qui-fait-quoi,data-inclusion}")
        q = sub.add_parser("qui-fait-quoi", help="Chaque commune × compétence → la structure compétente et pourquoi")
        d = sub.add_parser("data-inclusion", help="Structures et services au schéma data·inclusion v1, avec le score")
        for p in (q, d):
            p.add_argument(
                "--date", type=date.fromisoformat, help="Date de la situation (AAAA-MM-JJ), défaut : ce jour"
            )
            p.add_argument(
                "--sortie",
                type=Path,
                help="Dossier où écrire les fichiers ; par défaut le dossier de données que sert /opendata/",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout, force_terminal=False)
        started = time.monotonic()
        if options["what"] == "data-inclusion":
            self._data_inclusion(console, options, started)
            return
        try:
            with progress_bars(console) as step:
                if options["sortie"]:
                    out: Path = options["sortie"]
                    edition = qui_fait_quoi_write(directory=out, on=options["date"], progress=step)
                    (out / "qui-fait-quoi.schema.json").write_text(
                        json.dumps(qui_fait_quoi_schema(), ensure_ascii=False, indent=2), encoding="utf-8"
                    )
                else:
                    edition = qui_fait_quoi_edition(on=options["date"], progress=step)
        except DomainError as exc:
            raise CommandError(f"Export impossible. {exc.message}") from exc
        table = Table(title=f"Qui fait quoi — édition du {edition.on:%d/%m/%Y}, routage version {edition.version}")
        for col in ("communes", "lignes", "CSV", "Parquet", "durée"):
            table.add_column(col, justify="right")
        table.add_row(
            str(edition.communes),
            str(edition.rows),
            _size(edition.csv),
            _size(edition.parquet),
            f"{time.monotonic() - started:.1f} s",
        )
        console.print(table)
        console.print(f"Fichiers : {edition.csv} et {edition.parquet}", markup=False, highlight=False)

    def _data_inclusion(self, console: Console, options: dict[str, Any], started: float) -> None:
        try:
            with progress_bars(console) as step:
                if options["sortie"]:
                    export: Export = data_inclusion_write(
                        directory=options["sortie"], on=options["date"], progress=step
                    )
                else:
                    export = data_inclusion_edition(on=options["date"], progress=step)
        except DomainError as exc:
            raise CommandError(f"Export impossible. {exc.message}") from exc
        table = Table(title=f"data·inclusion — édition du {export.on:%d/%m/%Y}, routage version {export.version}")
        for col in ("jeu", "lignes", "refusées par le schéma", "JSON"):
            table.add_column(col, justify="right" if col != "jeu" else "left")
        for dataset in DATASETS:
            table.add_row(dataset, str(export.counts[dataset]), str(export.invalid[dataset]),
                          _size(export.path(dataset)))  # fmt: skip
        console.print(table)
        scores = Table(title=f"Score de qualité data·inclusion des services : {export.score:.2f} / 1")
        scores.add_column("critère")
        scores.add_column("moyenne", justify="right")
        for name, value in export.criteria.items():
            scores.add_row(name, f"{value:.2f}")
        console.print(scores)
        console.print(f"Durée : {time.monotonic() - started:.1f} s", markup=False, highlight=False)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} Mo"
