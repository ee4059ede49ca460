"""`sanscouture notifications envoyer|travailler`: deliver the e-mail outbox now, or run the task worker."""

import logging
import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from sanscouture.notifications.periodic import periodic_schedule
from sanscouture.notifications.services import outbox_deliver

logger = logging.getLogger("sanscouture.notifications")
PLANNING_EVERY = 60.0  # seconds between two looks at the periodic jobs' schedule


def _sweep_forever(stop: threading.Event, every: float) -> None:
    """Safety net beside the queue, at start then regularly: e-mails whose enqueue was lost or whose worker died."""
    while True:
        try:
            close_old_connections()
            report = outbox_deliver()
            if report.sent or report.retried or report.failed:
                logger.info("balayage : %s envoyé(s), %s à réessayer, %s en échec", *vars(report).values())
        except Exception as exc:  # noqa: BLE001 — keep sweeping; the database may come back
            logger.warning("balayage de la boîte d'envoi : %s", type(exc).__name__)
        finally:
            connection.close()
        if stop.wait(every):
            return


def _schedule_forever(stop: threading.Event, every: float) -> None:
    """Enqueue the periodic jobs that are due (SANSCOUTURE_PERIODIC_JOBS), at start then every `every` seconds;
    the worker's queue runs them. Due-ness is read from the queue's table: restarts and other workers share it."""
    while True:
        try:
            close_old_connections()
            periodic_schedule()
        except Exception as exc:  # noqa: BLE001 — keep scheduling; the database may come back
            logger.warning("planification des tâches périodiques : %s", type(exc).__name__)
        finally:
            connection.close()
        if stop.wait(every):
            return


def _exit_with_parent(parent: int) -> None:
    """Stop gracefully when the process that started us (`sanscouture serve`) is gone, even after a kill -9."""
    while True:
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return
        threading.Event().wait(1)


class Command(BaseCommand):
    help = "Notifications : envoyer les e-mails en attente (envoyer) ou faire tourner le travailleur (travailler)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("envoyer", help="Envoie maintenant les e-mails en attente, puis s'arrête (utilisable en cron).")
        work = sub.add_parser(
            "travailler",
            help="Exécute les tâches de fond (db_worker de django-tasks), met en file les tâches périodiques "
            "(purge, échéances) et balaie la boîte d'envoi régulièrement.",
        )
        work.add_argument("--parent", type=int, default=None, help="S'arrêter quand ce processus parent disparaît.")
        work.add_argument("--interval", type=float, default=1.0, help="Secondes entre deux lectures de la file.")
        work.add_argument(
            "--sans-planification",
            action="store_true",
            help="Ne pas mettre en file les tâches périodiques (purge, échéances) : un autre travailleur s'en charge.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "envoyer":
            report = outbox_deliver()
            self.stdout.write(
                f"{report.sent} e-mail(s) envoyé(s), {report.retried} à réessayer, {report.failed} en échec."
            )
            return
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_forever, args=(stop, settings.SANSCOUTURE_OUTBOX_SWEEP), name="outbox-sweep", daemon=True
        )
        sweeper.start()
        if not options["sans_planification"]:
            threading.Thread(
                target=_schedule_forever, args=(stop, PLANNING_EVERY), name="periodic-jobs", daemon=True
            ).start()
        if options["parent"]:
            threading.Thread(target=_exit_with_parent, args=(options["parent"],), daemon=True).start()
        try:
            call_command(
                "db_worker",
                queue_name="*",
                interval=options["interval"],
                startup_delay=False,
                reload=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()
