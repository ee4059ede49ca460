"""`sanscouture reseau-sync [--complet]`: read what happened since the last run (cases, hand-overs, messages) into
the interaction ledger of the network; `--complet` reads every existing record again (backfill). Idempotent."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sanscouture.network.services import interactions_sync


class Command(BaseCommand):
    help = "Enregistre les interactions entre structures (dossiers, orientations, messages) dans le registre du réseau."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--complet", action="store_true", help="Relire tous les enregistrements existants (rattrapage)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        added = interactions_sync(full=options["complet"])
        self.stdout.write(f"{added} nouvelle(s) interaction(s) enregistrée(s).")
