"""`sanscouture demo`: demo agents, memberships and shared cases around Savenay and the Grand Pic Saint-Loup.

Idempotent: a second run creates nothing new; it prints the logins again (passwords are reset to new random ones
unless `--mot-de-passe` is given; TOTP secrets are kept). Refuses to run when SANSCOUTURE_PRODUCTION=1.
Everything it creates is marked as demo: usernames start with `demo-`, people are called « DÉMO … ».
Each layer seeds its own demo data (`<app>/demo.py`); this command, at the top, runs them in layer order."""

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sanscouture.bodies.models import Body
from sanscouture.cases.demo import demo_agents, demo_cases
from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.catalogue.models import LifeEvent
from sanscouture.competences.services import referential_load


class Command(BaseCommand):
    help = "Crée (une fois) les agents et dossiers de démonstration, puis affiche les identifiants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mot-de-passe", dest="password", help="Même mot de passe pour tous (tests, démos)")

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get("SANSCOUTURE_PRODUCTION") == "1" or getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "Refusé : SANSCOUTURE_PRODUCTION=1. Les données de démonstration ne vont pas en production."
            )
        if not Body.objects.exists():  # an empty database: load the bundled referential first, like `serve`
            self.stdout.write("Chargement du référentiel embarqué…")
            referential_load()
        if not LifeEvent.objects.exists():
            catalogue_load_bundled()
        with transaction.atomic():
            logins = demo_agents(common_password=options.get("password"))
            links = demo_cases()
            # The layers above seed their demo data here, in layer order (ARCHITECTURE.md, ADR 009).
        base = settings.SANSCOUTURE_BASE_URL.rstrip("/")
        self.stdout.write("Comptes de DÉMONSTRATION (fictifs) — identifiant / mot de passe / structure / rôle / TOTP")
        for username, password, body, role, secret in logins:
            uri = f"otpauth://totp/Sans%20Couture:{username}?secret={secret}&issuer=Sans%20Couture"
            self.stdout.write(f"  {username} / {password} / {body} / {role} / secret TOTP {secret} ({uri})")
        self.stdout.write("Dossiers de démonstration (personnes fictives) — liens de suivi :")
        for name, reference, token in links:
            self.stdout.write(f"  {reference} {name} : {base}/suivi/{token}/")
