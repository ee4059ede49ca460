"""`sanscouture purger`: apply the retention delays now (the worker also runs it daily)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from sanscouture.cases.jobs import purge


class Command(BaseCommand):
    help = (
        "Efface les données personnelles des dossiers clos depuis plus de SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS "
        "jours, les lignes du journal des accès plus anciennes que SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS jours, "
        "les notifications et courriels envoyés plus anciens que SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS jours. "
        "Affiche des nombres seulement."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = purge()
        self.stdout.write(
            f"{counts['dossiers']} dossier(s) clos effacé(s) (plus de "
            f"{settings.SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS} jours)\n"
            f"{counts['journal']} ligne(s) du journal des accès supprimée(s) (plus de "
            f"{settings.SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS} jours)\n"
            f"{counts['notifications']} notification(s) et {counts['courriels']} courriel(s) envoyé(s) supprimé(s) "
            f"(plus de {settings.SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS} jours)"
        )
