"""`sanscouture import territoires|annuaire <path>`: load official files; one transaction, a summary at the end."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanscouture.errors import DomainError

from ._progress import load_referential_with_progress


class Command(BaseCommand):
    help = "Importe des données officielles : territoires (découpage administratif) ou annuaire (guichets)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{territoires,annuaire}")
        t = sub.add_parser("territoires", help="Découpage administratif (@etalab/decoupage-administratif)")
        t.add_argument("path", nargs="?", type=Path,
                       help="Dossier ou archive .tgz du paquet npm, ou .json.gz ; par défaut l'édition embarquée")
        a = sub.add_parser("annuaire", help="Annuaire de l'administration (export JSON {\"service\": [...]})")
        a.add_argument("path", type=Path, help="Fichier JSON (éventuellement .gz ou .bz2)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["what"] == "territoires":
                load_referential_with_progress(options["path"], self.stdout)
            else:
                from ._progress import import_annuaire_with_progress

                import_annuaire_with_progress(options["path"], self.stdout)
        except DomainError as exc:
            raise CommandError(f"Import refusé, rien n'a été modifié. {exc.message}") from exc
