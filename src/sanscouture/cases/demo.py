"""Demo data of the guichet unique: agents of the demo bodies and two shared cases (clearly fictitious).

Called by `sanscouture demo` (web layer), which also runs the demo steps of the layers above.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from sanscouture.accounts.models import ApiToken, Membership, Role
from sanscouture.accounts.selectors import token_hash as api_token_hash
from sanscouture.accounts.services import agent_create, api_token_create
from sanscouture.bodies.models import Body

from .models import Case, CaseData, TaskStatus
from .services import declaration_submit, message_send, opinion_ask, task_status_set, token_hash

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
    # On the platform without any tie yet: the isolated body of the Hérault's network (issue 12).
    ("demo-mdph-34", "mdph:34", Role.ADMIN, "MDPH de l'Hérault"),
    # Responsabilité collective (impacts/demo.py): the Région declares the school-bus change.
    ("demo-region-occitanie", "region:76", Role.ADMIN, "Région Occitanie"),
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


def _demo_secret(purpose: str) -> str:
    """A value stable across runs of one installation (derived from SECRET_KEY), for demo links and tokens."""
    digest = hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _demo_token(name: str) -> str:
    """A stable follow-up token for a demo case (so a second run can print the same link)."""
    return _demo_secret(f"demo-case:{name}")


@dataclass(frozen=True)
class DemoLogin:
    """One demo agent's login, as `sanscouture demo` prints it."""

    username: str
    password: str
    totp_secret: str
    role: str  # agent, referent or admin
    body: Body
    label: str


def demo_agent(*, username: str, key: str, role: str, label: str, common_password: str | None) -> DemoLogin:
    """Create one demo agent once (password reset on each run, TOTP secret kept)."""
    body = Body.objects.get(key=key)
    password = common_password or secrets.token_urlsafe(12)
    user = get_user_model().objects.filter(username=username).first()
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
    return DemoLogin(username, password, secret, str(role), body, label)


def demo_agents(*, common_password: str | None) -> list[DemoLogin]:
    """Create the demo agents once (passwords reset on each run, TOTP secrets kept)."""
    return [
        demo_agent(username=username, key=key, role=role, label=label, common_password=common_password)
        for username, key, role, label in AGENTS
    ]


def demo_api_tokens() -> dict[str, str]:
    """One API token per demo body (role référent), created if missing: body key → token. The value is derived from
    SECRET_KEY, so a second run prints the same token (only its hash is stored)."""
    users = get_user_model().objects
    out = {}
    for username, key, role, _ in AGENTS:
        if key in out or role != Role.ADMIN:
            continue
        body = Body.objects.get(key=key)
        secret = _demo_secret(f"demo-api-token:{key}")
        raw = "sc_" + secret
        if not ApiToken.objects.filter(token_hash=api_token_hash(raw), revoked_at__isnull=True).exists():
            api_token_create(
                body=body, name="Démo", role=Role.REFERENT, created_by=users.get(username=username), secret=secret
            )
        out[key] = raw
    return out


def demo_cases() -> list[tuple[str, str, str]]:
    """Create the demo cases once; (person, case reference, follow-up token)."""
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
                # An opinion asked of the Département without handing the task over (issue 11, 3b): left unanswered
                # so that the Département's agents see one to give.
                departement = Body.objects.filter(key="departement:34", active=True).first()
                if departement:
                    opinion_ask(
                        task=mairie,
                        to_body=departement,
                        actor=agent,
                        question="La famille demande une aide au transport scolaire : relève-t-elle encore du "
                        "collège de secteur ? (demande de démonstration)",
                    )
        out.append((spec["name"], case.reference, token))
    return out
