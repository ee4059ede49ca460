"""`sanscouture demo`: demo agents, memberships and shared cases around Savenay and the Grand Pic Saint-Loup.

Idempotent: a second run creates nothing new; it prints the logins again (passwords are reset to new random ones
unless `--mot-de-passe` is given; TOTP secrets are kept). Refuses to run when SANSCOUTURE_PRODUCTION=1.
Everything it creates is marked as demo: usernames start with `demo-`, people are called « DÉMO … ».
Each layer seeds its own demo data (`<app>/demo.py`); this command, at the top, runs them in layer order."""

import json
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from sanscouture.accounts.models import Role
from sanscouture.bodies.models import Body
from sanscouture.cases.demo import demo_agents, demo_api_tokens, demo_cases
from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.catalogue.models import LifeEvent
from sanscouture.competences.services import referential_load
from sanscouture.contracts.demo import demo_contracts
from sanscouture.gatherings.demo import demo_gatherings
from sanscouture.impacts.demo import demo_actions
from sanscouture.network.demo import demo_network
from sanscouture.open311.demo import demo_open311
from sanscouture.shadowing.demo import demo_shadowing
from sanscouture.webhooks.demo import demo_webhooks


class Command(BaseCommand):
    help = "Crée (une fois) les agents et dossiers de démonstration, puis affiche les identifiants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mot-de-passe", dest="password", help="Même mot de passe pour tous (tests, démos)")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Les identifiants en un document JSON sur la sortie standard (agents, jetons d'API), et rien d'autre",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get("SANSCOUTURE_PRODUCTION") == "1" or getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "Refusé : SANSCOUTURE_PRODUCTION=1. Les données de démonstration ne vont pas en production."
            )
        _check_migrated()
        # With --json, standard output carries the JSON document only: progress goes to standard error.
        say = self.stderr.write if options["json"] else self.stdout.write
        if not Body.objects.exists():  # an empty database: load the bundled referential first, like `serve`
            say("Chargement du référentiel embarqué…")
            referential_load()
        if not LifeEvent.objects.exists():
            catalogue_load_bundled()
        with transaction.atomic():
            logins = demo_agents(common_password=options.get("password"))
            links = demo_cases()
            webhooks = demo_webhooks()
            tokens = demo_api_tokens()
            # The layers above seed their demo data here, in layer order (ARCHITECTURE.md, ADR 009).
            actions = demo_actions()
            demo_network()
            shadowing = demo_shadowing(common_password=options.get("password"))
            logins = [*logins, *shadowing.logins]
            crte = demo_contracts()
            report = demo_open311()
            rencontres = demo_gatherings()
        if options["json"]:
            document = {
                "agents": [
                    {
                        "username": login.username,
                        "password": login.password,
                        "totp_secret": login.totp_secret,
                        "role": login.role,
                        "body": {"id": login.body.pk, "cle": login.body.key, "nom": login.body.name},
                    }
                    for login in logins
                ],
                "api_tokens": tokens,
                "vis_mon_job": {
                    "binome_savenay": shadowing.savenay_pair.pk if shadowing.savenay_pair else None,
                    "binome_herault": shadowing.herault_pair.pk if shadowing.herault_pair else None,
                },
                "webhooks": [
                    {"id": str(s.public_id), "structure": s.body.key, "url": s.url, "statut": s.status}
                    for s in webhooks
                ],
                "actions": [
                    {"id": a.pk, "titre": a.title, "structure": a.body.key, "avis": a.notices.count()} for a in actions
                ],
                "open311": {"service_request_id": report.pk, "jurisdiction_id": "34274"},
                "rencontres": [
                    {"id": g.pk, "titre": g.title, "organisatrice": g.organiser.key, "debut": g.starts_at.isoformat()}
                    for g in rencontres
                ],
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        base = settings.SANSCOUTURE_BASE_URL.rstrip("/")
        self.stdout.write("Comptes de DÉMONSTRATION (fictifs) — identifiant / mot de passe / structure / rôle / TOTP")
        for login in logins:
            secret, username = login.totp_secret, login.username
            uri = f"otpauth://totp/Sans%20Couture:{username}?secret={secret}&issuer=Sans%20Couture"
            body = f"{login.body.name} ({login.label})"
            self.stdout.write(
                f"  {username} / {login.password} / {body} / {Role(login.role).label} / secret TOTP {secret} ({uri})"
            )
        self.stdout.write("Jetons d'API de démonstration (rôle référent) — structure : jeton")
        for key, token in tokens.items():
            self.stdout.write(f"  {key} : {token}")
        self.stdout.write("Dossiers de démonstration (personnes fictives) — liens de suivi :")
        for name, reference, token in links:
            self.stdout.write(f"  {reference} {name} : {base}/suivi/{token}/")
        self.stdout.write("Actions déclarées de démonstration — avis envoyés / réponses :")
        for a in actions:
            answered = a.notices.exclude(answer="").count()
            self.stdout.write(f"  {a.title} : {base}/actions/{a.pk}/ — {a.notices.count()} avis, {answered} réponses")
        self.stdout.write("Vis mon job — binômes de démonstration :")
        for pair in (shadowing.savenay_pair, shadowing.herault_pair):
            if pair is not None:
                self.stdout.write(
                    f"  {pair.a_body.name} ↔ {pair.b_body.name} : {base}/vis-mon-job/{pair.pk}/ "
                    f"({pair.get_status_display()})"
                )
        self.stdout.write("Webhook de démonstration (désactivé, adresse fictive) — page de la structure :")
        for s in webhooks:
            self.stdout.write(f"  {s.body.name} : {base}/structures/{s.body_id}/webhooks/{s.public_id}/")
        self.stdout.write("Contrat de démonstration — fiche action et ses leviers :")
        self.stdout.write(f"  {crte.contract.title} : {base}/contrats/{crte.contract.pk}/")
        self.stdout.write(f"  {crte.sheet.title} : {base}/fiches/{crte.sheet.pk}/")
        self.stdout.write(
            "Signalement Open311 de démonstration (mairie de Saint-Martin-de-Londres → CC du Grand Pic) :"
        )
        self.stdout.write(f"  {base}/open311/v2/requests/{report.pk}.xml?jurisdiction_id=34274")
        self.stdout.write("Rencontres de démonstration (CC Estuaire et Sillon) — et leur effet :")
        for g in rencontres:
            self.stdout.write(f"  {g.title} ({g.starts_at:%d/%m/%Y}) : {base}/rencontres/{g.pk}/")
        self.stdout.write(f"  Effet des rencontres : {base}/rencontres/effet/")


def _check_migrated() -> None:
    """Run from another folder, the command finds another (empty) SQLite database: say so instead of a traceback."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        where = connection.settings_dict["NAME"]
        raise CommandError(
            f"La base de données {where} n'est pas prête (migrations non appliquées). Lancez cette commande depuis "
            "le dossier du projet, là où `./scripts/run` tourne (ou avec le même SANSCOUTURE_DATA_DIR ou "
            "DATABASE_URL), ou préparez cette base avec `sanscouture migrate`."
        )
