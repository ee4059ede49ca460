"""`sanscouture serve`: migrate, load the bundled referential into an empty database, serve with gunicorn.

Beside gunicorn it keeps one background worker running (`sanscouture notifications travailler`: the django-tasks
queue and the e-mail outbox), restarts it if it dies, and stops it with the server.
"""

import logging
import os
import re
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn import glogging

from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.catalogue.models import Publication
from sanscouture.logsafe import RedactFilter, truncate_address
from sanscouture.territories.models import Commune

from ._progress import load_referential_with_progress

logger = logging.getLogger("sanscouture.serve")


class WorkerSupervisor(threading.Thread):
    """Keeps one task worker process running beside the web server; restarts it with a growing pause."""

    def __init__(self) -> None:
        super().__init__(name="worker-supervisor", daemon=True)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.owner = os.getpid()

    def run(self) -> None:
        pause = 1.0
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                # Its own session: Ctrl+C reaches the server, which then stops the worker gracefully itself.
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sanscouture.cli",
                        "notifications",
                        "travailler",
                        "--parent",
                        str(os.getpid()),
                    ],
                    start_new_session=True,
                )
            started = time.monotonic()
            # Poll, never block in wait(): gunicorn's arbiter reaps every child (waitpid(-1)), ours included,
            # and then a blocked wait() may never return; poll() sees it gone (code 0 when reaped by gunicorn).
            while (code := self.process.poll()) is None:
                if self._stopping.wait(1):
                    return
            if self._stopping.is_set():
                return
            pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 30.0)
            logger.warning("le travailleur s'est arrêté (code %s) : redémarrage dans %.0f s", code, pause)
            self._stopping.wait(pause)

    def stop(self, timeout: float = 20) -> None:
        if os.getpid() != self.owner:
            return  # a forked gunicorn worker unwinding through our `finally`: the worker is not its child
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()  # db_worker finishes the task in hand, then exits
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.join(timeout=5)


class _AddressFilter(logging.Filter):
    """Gunicorn's own warnings name the client (« Invalid request from ip=… »): cut to its network, like the
    access log."""

    _IP = re.compile(r"(\bip=)([0-9A-Fa-f:.]*[0-9A-Fa-f])")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "ip=" in record.msg:
            record.msg = self._IP.sub(lambda m: m.group(1) + truncate_address(m.group(2)), record.msg)
        return True


class RedactingGunicornLogger(glogging.Logger):
    """Gunicorn's error and access logs pass the same masking as the application's (docs/adr/014): every handler
    it sets up gets the filter; client addresses are cut to their network (IPv4 /24, IPv6 /48)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactFilter) for f in handler.filters):
                    handler.addFilter(_AddressFilter())
                    handler.addFilter(RedactFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = truncate_address(environ.get("REMOTE_ADDR", ""))
        return atoms


def server_address_publish(*, host: str, port: int) -> str:
    """The address this server answers on. Without SANSCOUTURE_BASE_URL it becomes the base of every link (e-mails,
    `demo`): set for this process and its worker, and written for the commands run beside it."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 (mapping a wildcard to a reachable address, not binding)
    url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    if not os.environ.get("SANSCOUTURE_BASE_URL"):
        os.environ["SANSCOUTURE_BASE_URL"] = url
        settings.SANSCOUTURE_BASE_URL = url
        settings.SERVED_ADDRESS_FILE.write_text(url + "\n")
    return url


class Command(BaseCommand):
    help = "Prépare la base (migrations, référentiel officiel) puis sert l'application avec gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SANSCOUTURE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SANSCOUTURE_THREADS", "4")))
        parser.add_argument(
            "--sans-travailleur",
            dest="worker",
            action="store_false",
            default=os.environ.get("SANSCOUTURE_WORKER", "1") != "0",
            help="Ne pas lancer le travailleur de fond (quand des travailleurs tournent ailleurs).",
        )

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
        from sanscouture.territories.search import search_index

        route_all(commune="75056")  # warm the routing index once, before forking workers
        from sanscouture.journeys.selectors import journeys_warm

        journeys_warm()  # and what journeys keep of the catalogue: a life event's first journey reads nothing
        search_index()  # and the commune search index: the first person typing does not wait for it
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
                    # Gunicorn's largest request line: a long URL reaches Django (a French page), not "URI Too Long".
                    "limit_request_line": 8190,
                    # No query string (people's data) and links with tokens masked.
                    "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                    "logger_class": RedactingGunicornLogger,
                }.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        address = server_address_publish(host=options["host"], port=options["port"])
        self.stdout.write(f"Sans Couture sert sur {address}/ (Ctrl+C pour arrêter)")
        supervisor = WorkerSupervisor() if options["worker"] else None
        if supervisor:
            supervisor.start()
        try:
            Server().run()
        finally:
            if supervisor:
                supervisor.stop()
