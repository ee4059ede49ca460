"""`sanscouture echeances [--jours N] [--date AAAA-MM-JJ]`: notify agents of open tasks due soon (daily by the
worker; running it again notifies nothing twice)."""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanscouture.cases.services import tasks_notify_due_soon


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Date invalide : {value!r} (AAAA-MM-JJ attendu).") from exc


class Command(BaseCommand):
    help = "Prévient les agents des tâches ouvertes qui arrivent à échéance (une fois par tâche et par échéance)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--jours",
            type=int,
            default=settings.SANSCOUTURE_DUE_SOON_DAYS,
            help="Échéances dans les N prochains jours (défaut : SANSCOUTURE_DUE_SOON_DAYS, 3).",
        )
        parser.add_argument("--date", type=str, default=None, help="Aujourd'hui (AAAA-MM-JJ), pour les essais.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["jours"] < 0:
            raise CommandError("--jours est un nombre positif.")
        today = _day(options["date"]) if options["date"] else None
        report = tasks_notify_due_soon(days=options["jours"], today=today)
        self.stdout.write(
            f"{report.tasks} tâche(s) ouverte(s) à échéance dans les {options['jours']} jour(s) ; "
            f"{report.notifications} nouvelle(s) notification(s)."
        )
