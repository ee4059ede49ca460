"""`sanscouture serve`: migrate, load the bundled referential into an empty database, serve with gunicorn."""

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.catalogue.models import Publication
from sanscouture.territories.models import Commune

from ._progress import load_referential_with_progress


class Command(BaseCommand):
    help = "Prépare la base (migrations, référentiel officiel) puis sert l'application avec gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SANSCOUTURE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SANSCOUTURE_THREADS", "4")))

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Commune.objects.exists():
            self.stdout.write("Base vide : chargement du référentiel territorial officiel embarqué…")
            load_referential_with_progress(None, self.stdout)
        if not Publication.objects.exists():
            self.stdout.write("Catalogue vide : chargement des moments de vie et fiches service-public.fr embarqués…")
            catalogue_load_bundled()
        if not settings.DEBUG and settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        from sanscouture.competences.routing import route_all

        route_all(commune="75056")  # warm the routing index once, before forking workers
        from gunicorn.app.base import BaseApplication

        from sanscouture.wsgi import application

        bind = (
            f"[{options['host']}]:{options['port']}"
            if ":" in options["host"]
            else f"{options['host']}:{options['port']}"
        )

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in {
                    "bind": bind,
                    "workers": options["workers"],
                    "threads": options["threads"],
                    "worker_class": "gthread",
                    "preload_app": True,
                    "accesslog": "-",
                    "timeout": 60,
                    "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',  # no query strings of people's data
                }.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(f"Sans Couture sert sur http://{bind}/ (Ctrl+C pour arrêter)")
        Server().run()
