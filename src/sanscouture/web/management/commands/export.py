"""`sanscouture export qui-fait-quoi [--date J] [--sortie DOSSIER]`: write the open datasets (issue 15).

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
from sanscouture.opendata.services import qui_fait_quoi_edition, qui_fait_quoi_schema, qui_fait_quoi_write

from ._progress import progress_bars


class Command(BaseCommand):
    help = "Exporte les données ouvertes : le jeu national « qui fait quoi » (CSV, Parquet, Table Schema)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{qui-fait-quoi}")
        q = sub.add_parser("qui-fait-quoi", help="Chaque commune × compétence → la structure compétente et pourquoi")
        q.add_argument("--date", type=date.fromisoformat, help="Date de la situation (AAAA-MM-JJ), défaut : ce jour")
        q.add_argument(
            "--sortie",
            type=Path,
            help="Dossier où écrire les fichiers ; par défaut le dossier de données que sert /opendata/",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout, force_terminal=False)
        started = time.monotonic()
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


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} Mo"
