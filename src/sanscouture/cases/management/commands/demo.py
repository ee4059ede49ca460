"""`sanscouture demo`: demo agents, memberships and shared cases around Savenay and the Grand Pic Saint-Loup.

Idempotent: a second run creates nothing new; it prints the logins again (passwords are reset to new random ones
unless `--mot-de-passe` is given; TOTP secrets are kept). Refuses to run when SANSCOUTURE_PRODUCTION=1.
Everything it creates is marked as demo: usernames start with `demo-`, people are called « DÉMO … »."""

import base64
import hashlib
import hmac
import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sanscouture.accounts.models import Membership, Role
from sanscouture.accounts.services import agent_create
from sanscouture.bodies.models import Body
from sanscouture.cases.models import Case, CaseData, TaskStatus
from sanscouture.cases.services import declaration_submit, message_send, task_status_set, token_hash
from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.catalogue.models import LifeEvent
from sanscouture.competences.services import referential_load

# (username, body key, role, what it is for)
AGENTS = [
    ("demo-mairie-savenay", "mairie:44195", Role.ADMIN, "mairie de Savenay"),
    ("demo-guichet-savenay", "mairie:44195", Role.AGENT, "accueil France Services (dépôt pour la personne)"),
    ("demo-mairie-saint-martin", "mairie:34274", Role.ADMIN, "mairie de Saint-Martin-de-Londres"),
    ("demo-cc-estuaire-sillon", "epci:200072734", Role.ADMIN, "CC Estuaire et Sillon"),
    ("demo-cc-pic-saint-loup", "epci:200022986", Role.ADMIN, "CC du Grand Pic Saint-Loup"),
    ("demo-caf-44", "caf:44", Role.ADMIN, "CAF de Loire-Atlantique"),
    ("demo-caf-34", "caf:34", Role.ADMIN, "CAF de l'Hérault"),
    ("demo-caf-34-agent", "caf:34", Role.AGENT, "CAF de l'Hérault"),
    ("demo-departement-34", "departement:34", Role.ADMIN, "Département de l'Hérault"),
    ("demo-departement-34-agent", "departement:34", Role.AGENT, "Département de l'Hérault"),
    ("demo-departement-44", "departement:44", Role.ADMIN, "Département de Loire-Atlantique"),
    ("demo-cpam-34", "cpam:34", Role.ADMIN, "CPAM de l'Hérault"),
]
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
BIRTH = [
    "avez-vous-un-autre-enfant-a-charge-non",
    "avez-vous-un-emploi-oui",
    "etes-vous-locataire-d-un-logement-social-hlm-non",
]
# Fictitious people, clearly fake.
CASES: list[dict[str, Any]] = [
    {
        "name": "DÉMO Dupont-Exemple",
        "life_event": "je-demenage",
        "choices": MOVE,
        "commune": "34274",
        "commune_from": "44195",
        "counter": "demo-guichet-savenay",
        "values": {
            "nom": "DÉMO Dupont-Exemple",
            "prenoms": "Camille (personne fictive)",
            "date_naissance": "1990-01-01",
            "courriel": "camille.demo@example.invalid",
            "adresse_depart": "1 rue Fictive, 44260 Savenay",
            "adresse_arrivee": "2 place Imaginaire, 34380 Saint-Martin-de-Londres",
            "date_evenement": "2026-07-01",
            "enfants": "Alex (2019, fictif)",
            "numero_allocataire": "0000000",
        },
    },
    {
        "name": "DÉMO Martin-Fictif",
        "life_event": "j-attends-un-enfant",
        "choices": BIRTH,
        "commune": "34274",
        "commune_from": None,
        "counter": None,
        "values": {
            "nom": "DÉMO Martin-Fictif",
            "prenoms": "Sacha (personne fictive)",
            "date_naissance": "1994-05-05",
            "adresse_arrivee": "3 chemin Inventé, 34380 Saint-Martin-de-Londres",
            "date_evenement": "2026-09-15",
            "composition_foyer": "Couple, premier enfant attendu (fictif)",
        },
    },
]


def _demo_token(name: str) -> str:
    """A stable follow-up token for a demo case (so a second run can print the same link)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-case:{name}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
            logins = self._agents(options.get("password"))
            links = self._cases()
        base = settings.SANSCOUTURE_BASE_URL.rstrip("/")
        self.stdout.write("Comptes de DÉMONSTRATION (fictifs) — identifiant / mot de passe / structure / rôle / TOTP")
        for username, password, body, role, secret in logins:
            uri = f"otpauth://totp/Sans%20Couture:{username}?secret={secret}&issuer=Sans%20Couture"
            self.stdout.write(f"  {username} / {password} / {body} / {role} / secret TOTP {secret} ({uri})")
        self.stdout.write("Dossiers de démonstration (personnes fictives) — liens de suivi :")
        for name, reference, token in links:
            self.stdout.write(f"  {reference} {name} : {base}/suivi/{token}/")

    def _agents(self, common_password: str | None) -> list[tuple[str, str, str, str, str]]:
        users = get_user_model().objects
        out = []
        for username, key, role, label in AGENTS:
            body = Body.objects.get(key=key)
            password = common_password or secrets.token_urlsafe(12)
            user = users.filter(username=username).first()
            if user is None:
                user, device = agent_create(
                    username=username, password=password, body=body, role=role, email=f"{username}@demo.invalid"
                )
                user.first_name, user.last_name = "Démo", label[:150]
                user.save(update_fields=["first_name", "last_name"])
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
                Membership.objects.get_or_create(user=user, body=body, defaults={"role": role})
                device = user.totpdevice_set.filter(confirmed=True).order_by("pk").first()
            secret = base64.b32encode(device.bin_key).decode() if device else "(aucun appareil)"
            out.append((username, password, f"{body.name} ({label})", Role(role).label, secret))
        return out

    def _cases(self) -> list[tuple[str, str, str]]:
        users = get_user_model().objects
        out = []
        for spec in CASES:
            token = _demo_token(spec["name"])
            existing = CaseData.objects.filter(values__nom=spec["name"]).select_related("case").first()
            case = existing.case if existing else None
            if case is None:
                counter = users.get(username=spec["counter"]) if spec["counter"] else None
                case, _ = declaration_submit(
                    life_event=spec["life_event"],
                    choices=spec["choices"],
                    commune=spec["commune"],
                    commune_from=spec["commune_from"],
                    values=spec["values"],
                    consents=[],
                    actor=counter,
                    on_behalf_body=Body.objects.get(key="mairie:44195") if counter else None,
                )
                # The person consents to every body but one (to show a body without data).
                for task in case.tasks.select_related("body"):
                    if task.body.key != "epci:200022986":
                        case.consents.get_or_create(body=task.body)
                Case.objects.filter(pk=case.pk).update(person_token_hash=token_hash(token))
                mairie = case.tasks.filter(body__key="mairie:34274").first()
                if mairie:
                    agent = users.get(username="demo-mairie-saint-martin")
                    task_status_set(task=mairie, status=TaskStatus.IN_PROGRESS, actor=agent)
                    message_send(
                        case=case,
                        body=mairie.body,
                        actor=agent,
                        text="Bonjour, la mairie a bien reçu votre déclaration (message de démonstration).",
                    )
            out.append((spec["name"], case.reference, token))
        return out
