"""Isolation matrix (TRUST.md): every URL of the site and every operation of the API × every role × an own, a
shared and a foreign object. Each cell's expected outcome is declared below; the test asserts 0 deviations.

A URL or an API operation missing from the tables fails `test_every_url_and_operation_is_in_the_matrix`: decide
who may reach it first.

Objects are relative to the caller's body (`home`): « propre » is its own (its task, the hand-over addressed to it,
its agent, its token…), « partagé » belongs to another body of the same case, « étranger » to a body of a case
it has no part in. For the anonymous visitor, the person and staff, the home body is the CAF de l'Hérault.

Outcomes: a status code, `login` (302 to /connexion/), `admin-login` (302 to the admin's login), `302` (any
other redirect). `ISOLATION_AFFICHER=1` prints the observed table.
"""

import copy
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.accounts.services import agent_create, api_token_create
from sanscouture.accounts.testing import login_verified
from sanscouture.api import api
from sanscouture.cases.fields import field_labels, needs
from sanscouture.cases.models import Case, Handover, OpinionRequest, Task
from sanscouture.cases.services import declaration_submit, note_add
from sanscouture.competences.models import Exercise
from sanscouture.contracts.models import ActionSheet, BudgetLine, Contract, Indicator, SharedFile
from sanscouture.contracts.services import contract_create, shared_file_add, sheet_create
from sanscouture.gatherings.models import Gathering, GatheringBody, Invitation
from sanscouture.impacts.models import Action, Notice, Opinion
from sanscouture.journeys.models import LocalStep
from sanscouture.notifications.models import Notification
from sanscouture.open311.selectors import all_services, jurisdiction_get, location_resolve
from sanscouture.open311.services import service_request_create
from sanscouture.shadowing.models import Pair, PairStatus, Profile
from sanscouture.webhooks.models import Delivery, Secret, Subscription

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
ROLES = ("anonyme", "personne", "propre", "partage", "etranger", "admin", "staff")
# + API tokens of the CAF de l'Hérault (role agent; role référent, like `sanscouture demo`'s), for the API only.
API_ROLES = (*ROLES, "jeton", "jetonref")
OBJECTS = ("propre", "partage", "etranger")
BAD_TOKEN = "jeton-qui-n-existe-pas-0123456789abcdef"

# Bodies: a move Savenay → Saint-Martin-de-Londres (case A) and a move Brest → Saint-Brieuc (case B).
CAF34, MAIRIE34, CAF22, MAIRIE22 = "caf:34", "mairie:34274", "caf:22", "mairie:22278"
HOME = {"propre": CAF34, "admin": CAF34, "partage": MAIRIE34, "etranger": CAF22}
PARTNER = {CAF34: MAIRIE34, MAIRIE34: CAF34, CAF22: MAIRIE22}
FOREIGN = {CAF34: CAF22, MAIRIE34: CAF22, CAF22: CAF34}
AGENT_OF = {CAF34: "propre", MAIRIE34: "partage", CAF22: "etranger", MAIRIE22: "mairie22"}
# Each body's declaration in force: one its kind may hold, on its own territory (the rule of issue 7).
LAWFUL = {
    CAF34: ("prestations-familiales", "34274"),
    MAIRIE34: ("voirie-communale", "34274"),
    CAF22: ("prestations-familiales", "22278"),
    MAIRIE22: ("voirie-communale", "22278"),
}


# --- The world: two cases, four bodies with agents, hand-overs, notes, tokens, declarations, local steps ----------


def _value(field_name: str) -> str:
    """A value found nowhere else in a page: its presence in HTML or JSON is a leak of that very field."""
    return f"Valeur-{field_name.replace('_', '-')}-7Q"


@dataclass
class World:
    cases: dict[str, Case] = field(default_factory=dict)  # body key → its case
    person_token: str = ""
    other_token: str = ""
    bodies: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    handovers_to: dict[str, Handover] = field(default_factory=dict)
    opinions_to: dict[str, OpinionRequest] = field(default_factory=dict)  # opinions asked of each body
    memberships: dict[str, Membership] = field(default_factory=dict)
    tokens: dict[str, Any] = field(default_factory=dict)
    raw_tokens: dict[str, str] = field(default_factory=dict)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    steps: dict[str, LocalStep] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)  # user role → one of their notifications
    actions: dict[str, Action] = field(default_factory=dict)  # body key → its draft action (issue 11)
    notices: dict[str, Notice] = field(default_factory=dict)  # body key → a notice addressed to it
    opinions: dict[str, Opinion] = field(default_factory=dict)  # body key → an opinion on its action
    contracts: dict[str, Contract] = field(default_factory=dict)  # body key → the contract it signs
    sheets: dict[str, ActionSheet] = field(default_factory=dict)
    lines: dict[str, BudgetLine] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    files: dict[str, SharedFile] = field(default_factory=dict)
    open311: Any = None  # an Open311 request filed by the mairie of Saint-Martin-de-Londres (issue 15)
    gatherings: dict[str, Gathering] = field(default_factory=dict)  # body key → the gathering it organises
    pairs: dict[str, Pair] = field(default_factory=dict)  # body key → a scheduled « vis mon job » pair of its agent
    webhooks: dict[str, Subscription] = field(default_factory=dict)  # body key → its subscription (issue 15)
    deliveries: dict[str, Delivery] = field(default_factory=dict)

    def target(self, role: str, obj: str) -> str:
        home = HOME.get(role, CAF34)
        return {"propre": home, "partage": PARTNER[home], "etranger": FOREIGN[home]}[obj]

    def ctx(self, role: str, obj: str) -> dict[str, Any]:
        key = self.target(role, obj)
        case = self.cases[key]
        owner = {"propre": role if role in self.notifications else "propre"}.get(obj) or AGENT_OF[key]
        token = self.person_token if role == "personne" and obj != "etranger" else BAD_TOKEN
        return {
            "public_id": case.public_id,
            "case_id": case.public_id,
            "task_id": self.tasks[key].pk,
            "handover_id": self.handovers_to[key].pk,
            "avis_demande_id": self.opinions_to[key].pk,
            "body_id": self.bodies[key].pk,
            "structure_id": self.bodies[key].pk,
            "membership_id": self.memberships[key].pk,
            "token_id": self.tokens[key].pk,
            "pk": self.exercises[key].pk,
            "step_id": self.steps[key].pk,
            "token": token,
            "slug": "je-demenage",
            "life_event": "je-demenage",
            "code": "34274",
            "competence": "assainissement-collectif",
            "notification": self.notifications[owner].pk,
            "action_id": self.actions[key].pk,
            "notice_id": self.notices[key].pk,
            "opinion_id": self.opinions[key].pk,
            "siren": "200022986",  # CC du Grand Pic Saint-Loup
            "contrat_id": self.contracts[key].pk,
            "fiche_id": self.sheets[key].pk,
            "ligne_id": self.lines[key].pk,
            "indicateur_id": self.indicators[key].pk,
            "file_id": self.files[key].pk,
            "rencontre_id": self.gatherings[key].pk,
            "number": 1,
            "fmt": "csv",
            "format": "xml",  # Open311's suffix
            "service_code": "dechets-menagers",
            "service_request_id": self.open311.pk,
            "open311_token": self.open311.token,
            "rest": "pas-une-ressource",
            "pair_id": self.pairs[key].pk,
            "binome_id": self.pairs[key].pk,
            "webhook_id": self.webhooks[key].public_id,
            "livraison_id": self.deliveries[key].message_id,
        }


def _declare(referential, commune: str, commune_from: str, prefix: str) -> tuple[Case, str]:
    values = {f: f"{_value(f)}{prefix}" for f in field_labels()}
    values["courriel"] = f"personne{prefix.lower()}@exemple.fr"
    values["date_naissance"] = "1990-04-02"
    case, token = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune=commune,
        commune_from=commune_from,
        values=values,
        consents=[],
        today=date(2026, 6, 1),
    )
    for task in case.tasks.all():
        case.consents.create(body_id=task.body_id)
    return case, token


def _hand_over(case: Case, from_key: str, to_body: Any, user: Any) -> Handover:
    task = case.tasks.get(body__key=from_key)
    return Handover.objects.create(task=task, from_body=task.body, to_body=to_body, reason="motif", created_by=user)


def build_world(referential) -> World:  # noqa: ANN001
    w = World()
    case_a, w.person_token = _declare(referential, "34274", "44195", "A")
    case_b, w.other_token = _declare(referential, "22278", "29019", "B")
    for key, case in ((CAF34, case_a), (MAIRIE34, case_a), (CAF22, case_b), (MAIRIE22, case_b)):
        w.cases[key], w.bodies[key] = case, referential.body(key)
        w.tasks[key] = case.tasks.get(body__key=key)
    agents = {
        "propre": (CAF34, "agent"),
        "admin": (CAF34, "admin"),
        "partage": (MAIRIE34, "agent"),
        "etranger": (CAF22, "agent"),
        "mairie22": (MAIRIE22, "agent"),
    }
    for role, (key, kind) in agents.items():
        user, _ = agent_create(username=f"iso-{role}", password="motdepasse-solide-42", body=w.bodies[key], role=kind)
        w.users[role] = user
        if role != "admin":
            w.memberships[key] = Membership.objects.get(user=user)
    staff, _ = agent_create(username="iso-staff", password="motdepasse-solide-42", body=None)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    w.users["staff"] = staff
    admin = w.users["admin"]
    # Hand-overs addressed to each body (pending): the prefecture's or the partner's task.
    w.handovers_to[CAF34] = _hand_over(case_a, MAIRIE34, w.bodies[CAF34], admin)
    w.handovers_to[MAIRIE34] = _hand_over(case_a, "prefecture:34", w.bodies[MAIRIE34], admin)
    w.handovers_to[CAF22] = _hand_over(case_b, MAIRIE22, w.bodies[CAF22], admin)
    w.handovers_to[MAIRIE22] = _hand_over(case_b, "prefecture:22", w.bodies[MAIRIE22], admin)
    # Opinions asked of each body (issue 11, 3b), on the same tasks as the hand-overs.
    for key, h in w.handovers_to.items():
        w.opinions_to[key] = OpinionRequest.objects.create(
            task=h.task, from_body=h.from_body, to_body=h.to_body, question="Question ?", asked_by=admin
        )
    for key in (CAF34, MAIRIE34, CAF22, MAIRIE22):
        body, user = w.bodies[key], Membership.objects.filter(body=w.bodies[key]).first().user
        token, raw = api_token_create(body=body, name=f"si-{key}", role="agent", created_by=user)
        w.tokens[key], w.raw_tokens[key] = token, raw
        competence, commune = LAWFUL[key]
        ex = Exercise.objects.create(
            body=body, competence=competence, start=date(2025, 1, 1), basis="statuts", created_by=user
        )
        ex.communes.add(referential.commune(commune))
        w.exercises[key] = ex
        w.steps[key] = LocalStep.objects.create(
            body=body, life_event="F16225", title=f"Étape {key}", start=date(2025, 1, 1), created_by=user
        )
        text = f"Note-interne-{key}-secrete"
        note_add(case=w.cases[key], body=body, text=text, actor=user)
        w.notes[key] = text
    # Issue 11: each body's draft action, and a notice addressed to it about a published action of its partner
    # (SENDER): the partner's agents see that notice (declarant), without answering it.
    sender = {CAF34: MAIRIE34, MAIRIE34: CAF34, CAF22: MAIRIE22, MAIRIE22: CAF22}
    for key in (CAF34, MAIRIE34, CAF22, MAIRIE22):
        body, user = w.bodies[key], Membership.objects.filter(body=w.bodies[key]).first().user
        common = {"kind": "guichet", "start": date(2026, 9, 1), "end": date(2026, 9, 30), "created_by": user}
        w.actions[key] = Action.objects.create(body=body, title=f"Brouillon {key}", pivots=["caf"], **common)
        w.actions[key].communes.add(referential.commune(LAWFUL[key][1]))
        published = Action.objects.create(
            body=w.bodies[sender[key]], title=f"Publiée {sender[key]}", status="publiee", **common
        )
        published.communes.add(referential.commune(LAWFUL[key][1]))
        w.notices[key] = Notice.objects.create(
            action=published, body=body, sent_at=timezone.now(), due_on=date(2099, 1, 1), reasons=["raison"]
        )
        w.opinions[key] = Opinion.objects.create(
            action=w.actions[key], body=w.bodies[sender[key]], author=user, text="Avis d'un voisin"
        )
    # Contracts (issue 14): case A's bodies sign one at Saint-Martin-de-Londres, case B's one at Saint-Brieuc.
    for (first, second), commune in (((CAF34, MAIRIE34), "34274"), ((CAF22, MAIRIE22), "22278")):
        contract = contract_create(
            kind="autre",
            title=f"Convention {first}",
            perimeter=[f"commune:{commune}"],
            signatories=[(w.bodies[first], "signataire"), (w.bodies[second], "signataire")],
            start=date(2025, 1, 1),
            end=None,
            actor=w.users["staff"],
        )
        sheet = sheet_create(
            contract=contract,
            title=f"Fiche {first}",
            pilot=w.bodies[first],
            partners=[w.bodies[second]],
            competences=["voirie-communale"],
            communes=[referential.commune(commune)],
            actor=w.users["staff"],
        )
        line = BudgetLine.objects.create(sheet=sheet, funder=w.bodies[first], total=100, amount=10)
        indicator = Indicator.objects.create(sheet=sheet, label="Fréquentation")
        shared = (
            shared_file_add(
                sheet=sheet, title="Compte rendu", name="cr.txt", content=b"Compte rendu", actor=w.users["admin"]
            )
            if first == CAF34
            else shared_file_add(
                sheet=sheet, title="Compte rendu", name="cr.txt", content=b"Compte rendu", actor=w.users["etranger"]
            )
        )
        for key in (first, second):
            w.contracts[key], w.sheets[key], w.lines[key], w.indicators[key] = contract, sheet, line, indicator
            w.files[key] = shared
    # Gatherings (issue 13): each body organises one (in ten days) inviting itself and its partner, whose agents are
    # invited; the foreign body sees nothing of it.
    start = timezone.now() + timedelta(days=10)
    for key in (CAF34, MAIRIE34, CAF22, MAIRIE22):
        g = Gathering.objects.create(
            organiser=w.bodies[key],
            title=f"Rencontre {key}",
            place="Salle",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            territory="departement:34",
            uid=f"iso-{key}",
        )
        for k in (key, sender[key]):
            GatheringBody.objects.create(gathering=g, body=w.bodies[k])
            for m in Membership.objects.filter(body=w.bodies[k], user__api_token__isnull=True):
                Invitation.objects.create(
                    gathering=g, user=m.user, body=m.body, nonce=f"n{g.pk}-{m.pk}", token_hash=f"iso-{g.pk}-{m.pk}"
                )
        w.gatherings[key] = g
    # Vis mon job (issue 13): each body's agent opted in, with a scheduled pair with the agent of the mairie of
    # Saint-Brieuc (a body of case B): an agent sees their own pair, the CAF's administrator the CAF's.
    for role in ("propre", "partage", "etranger", "mairie22"):
        user = w.users[role]
        Profile.objects.create(user=user, body=Membership.objects.get(user=user).body, job="Agent", can_show="Tout")
    for key, role in ((CAF34, "propre"), (MAIRIE34, "partage"), (CAF22, "etranger")):
        w.pairs[key] = Pair.objects.create(
            a_user=w.users[role],
            a_body=w.bodies[key],
            b_user=w.users["mairie22"],
            b_body=w.bodies[MAIRIE22],
            status=PairStatus.SCHEDULED,
            b_accepted_at=timezone.now(),
            a_approved_at=timezone.now(),
            b_approved_at=timezone.now(),
            start=date(2099, 3, 2),
            end=date(2099, 3, 3),
        )
    colleague, _ = agent_create(username="iso-mairie22-b", password="motdepasse-solide-42", body=w.bodies[MAIRIE22])
    w.pairs[MAIRIE22] = Pair.objects.create(
        a_user=w.users["mairie22"], a_body=w.bodies[MAIRIE22], b_user=colleague, b_body=w.bodies[MAIRIE22]
    )
    # Webhooks (issue 15): each body's subscription (a public address, never contacted here) and one delivery.
    for key in (CAF34, MAIRIE34, CAF22, MAIRIE22):
        user = Membership.objects.filter(body=w.bodies[key]).first().user
        sub = Subscription.objects.create(
            body=w.bodies[key], url="https://9.9.9.9/webhooks", events=["tache.modifiee"], created_by=user
        )
        Secret.objects.create(subscription=sub, value="whsec_" + "QUJD" * 11)
        w.webhooks[key] = sub
        w.deliveries[key] = Delivery.objects.create(
            subscription=sub,
            message_id=f"msg_iso{sub.pk}",
            event_type="tache.modifiee",
            payload="{}",
            next_attempt_at=timezone.now(),
        )
    for role, user in w.users.items():
        w.notifications[role] = Notification.objects.create(
            recipient=user, kind="message", title="Nouveau message", url="/taches/", dedupe_key=f"iso:{role}"
        )
    # Clients: a verified session per agent role; the person has a session that only ever saw their link.
    w.clients["anonyme"] = Client(raise_request_exception=False)
    person = Client(raise_request_exception=False)
    person.get(f"/suivi/{w.person_token}/")
    w.clients["personne"] = person
    for role in ("propre", "partage", "etranger", "admin", "staff"):
        c = Client(raise_request_exception=False)
        login_verified(c, w.users[role])
        w.clients[role] = c
    # Open311 (issue 15): a request of the mairie of Saint-Martin-de-Londres, routed to the competent body.
    w.open311 = service_request_create(
        jurisdiction=jurisdiction_get("34274"),
        service=all_services()["dechets-menagers"],
        location=location_resolve(commune_code="34274", address_string="", has_lat_long=False),
        submitted_by=w.bodies[MAIRIE34],
        actor=w.users["partage"],
        description="Bacs non ramassés",
    )
    w.clients["jeton"] = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {w.raw_tokens[CAF34]}")
    _, raw = api_token_create(body=w.bodies[CAF34], name="si-referent", role="referent", created_by=w.users["admin"])
    w.clients["jetonref"] = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    return w


@pytest.fixture
def world(referential) -> World:  # noqa: ANN001
    return build_world(referential)


# --- Expected outcomes --------------------------------------------------------------------------------------------
# One line per (method, URL): `role=outcome` (same for the 3 objects) or `role=own,shared,foreign`. Unlisted roles
# take `*=`. Roles: anonyme personne propre partage etranger admin staff (and jeton for the API).

PUBLIC_GET = "*=200"
AGENT_PAGE = "anonyme=login personne=login"
HTML: dict[str, str] = {
    # Public pages.
    "GET healthz": PUBLIC_GET,
    "GET api/docs": "*=302",
    "GET api/v1/openapi.json": PUBLIC_GET,
    "GET api/v1/docs": PUBLIC_GET,
    "GET api/v1/": "*=404",
    "GET ": PUBLIC_GET,
    "GET communes/suggestions": PUBLIC_GET,
    "GET moments-de-vie/": PUBLIC_GET,
    "GET moments-de-vie/<str:slug>/": PUBLIC_GET,
    "GET moments-de-vie/<str:slug>/parcours": "*=400",  # no commune given
    "GET accessibilite/": PUBLIC_GET,
    "GET mentions-legales/": PUBLIC_GET,
    "GET declarer/<str:slug>/": "*=400",  # no commune given
    "GET declarer/<str:slug>/confirmation": PUBLIC_GET,
    # Open data (issue 15): public and read-only, the same files for everyone; no personal data in them.
    "GET opendata/qui-fait-quoi.csv": PUBLIC_GET,
    "GET opendata/qui-fait-quoi.parquet": PUBLIC_GET,
    "GET opendata/qui-fait-quoi.schema.json": PUBLIC_GET,
    "GET opendata/catalogue.jsonld": PUBLIC_GET,
    "GET opendata/data-inclusion/structures.json": PUBLIC_GET,
    "GET opendata/data-inclusion/services.json": PUBLIC_GET,
    "GET donnees-ouvertes/": PUBLIC_GET,
    # Open311 GeoReport v2 (issue 15), outside /api/v1 with its own error model: reads are public as the spec says
    # (no personal field in them); a write needs a body's api_key in the form (none here: 403 for every role).
    "GET open311/v2/discovery.<o311fmt:format>": PUBLIC_GET,
    "GET open311/v2/services.<o311fmt:format>": PUBLIC_GET,
    "GET open311/v2/services/<str:service_code>.<o311fmt:format>": PUBLIC_GET,
    "GET open311/v2/requests.<o311fmt:format>": PUBLIC_GET,
    "POST open311/v2/requests.<o311fmt:format>": "*=403",
    "GET open311/v2/requests/<str:service_request_id>.<o311fmt:format>": PUBLIC_GET,
    "GET open311/v2/tokens/<str:open311_token>.<o311fmt:format>": PUBLIC_GET,
    "GET open311/v2/servicerequestupdates.<o311fmt:format>": PUBLIC_GET,
    "GET open311/<path:rest>": "*=404",
    # Login steps.
    "GET connexion/": "*=200 propre=302 partage=302 etranger=302 admin=302 staff=302",
    "GET deconnexion/": PUBLIC_GET,  # the « Se déconnecter » button; only the POST logs out
    "POST deconnexion/": "*=302",
    "GET connexion/code/": "*=302",  # no password step in progress: back to /connexion/
    "GET connexion/double-authentification/": "*=302",
    "GET connexion/proconnect/": "*=404",  # ProConnect not configured in tests
    "GET connexion/proconnect/retour/": "*=404",
    "GET invitation/<str:token>/": "*=404",
    "GET admin/login/": "*=login",
    # The person, through the private link: a wrong link is a 404 for everyone.
    "GET suivi/<str:token>/": "*=404 personne=200,200,404",
    "POST suivi/<str:token>/messages": "*=404 personne=302,302,404",
    "POST suivi/<str:token>/bilan": "*=404 personne=302,302,404",
    "POST suivi/<str:token>/consentements/<int:body_id>/retrait": "*=404 personne=302,302,404",
    "POST suivi/<str:token>/consentements/<int:body_id>/donner": "*=404 personne=302,302,404",
    "GET suivi/<str:token>/journal/": "*=404 personne=200,200,404",
    # Agents: their bodies' tasks; cases where one of their bodies has a task; foreign objects are 404.
    "GET taches/": f"{AGENT_PAGE} *=200",
    "GET dossiers/<uuid:public_id>/": f"{AGENT_PAGE} *=200,200,404 staff=404",
    "GET dossiers/<uuid:public_id>/journal/": f"{AGENT_PAGE} *=403,403,404 admin=200,200,404 staff=404",
    "POST dossiers/<uuid:public_id>/taches/<int:task_id>/statut": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST dossiers/<uuid:public_id>/taches/<int:task_id>/orientation": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST dossiers/<uuid:public_id>/orientations/<int:handover_id>/decision": (f"{AGENT_PAGE} *=302,404,404 staff=404"),
    "POST dossiers/<uuid:public_id>/taches/<int:task_id>/avis": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST dossiers/<uuid:public_id>/avis/<int:avis_demande_id>/reponse": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST dossiers/<uuid:public_id>/messages": f"{AGENT_PAGE} *=302,302,404 staff=404",
    "POST dossiers/<uuid:public_id>/notes": f"{AGENT_PAGE} *=302,302,404 staff=404",
    "GET structures/recherche": f"{AGENT_PAGE} *=200",
    # A body's administration: its administrators only.
    "GET structures/<int:body_id>/agents/": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/agents/<int:membership_id>/role": f"{AGENT_PAGE} *=404 admin=302,404,404",
    "POST structures/<int:body_id>/validation-actions": f"{AGENT_PAGE} *=404 admin=302,404,404",
    "POST structures/<int:body_id>/agents/<int:membership_id>/retirer": f"{AGENT_PAGE} *=404 admin=302,404,404",
    "GET structures/<int:body_id>/jetons/": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/jetons/<int:token_id>/revoquer": f"{AGENT_PAGE} *=404 admin=302,404,404",
    # Competence declarations (foundation issue): administrators and référents of the body.
    "GET declarations/": f"{AGENT_PAGE} *=200",
    "POST declarations/<int:pk>/retirer": f"{AGENT_PAGE} *=404 admin=302,404,404",
    # Local steps (moments de vie): administrators and référents of the body, its own steps only.
    "GET etapes-locales/": f"{AGENT_PAGE} *=200",
    "POST etapes-locales/<int:step_id>/retirer": f"{AGENT_PAGE} *=404 admin=302,404,404",
    # Notifications: each agent's own; objects are notifications of the agents of the three bodies.
    "GET notifications/": f"{AGENT_PAGE} *=200",
    "POST notifications/<int:pk>/lue": f"{AGENT_PAGE} *=302,404,404",
    "POST notifications/tout-lire": f"{AGENT_PAGE} *=302",
    # Acteur-réseau (issue 12): the territory's network for agents (staff, in no body, get a page saying so); a
    # body's internal network for its members; its services for its administrators; ratings for the two bodies of
    # a hand-over (the world's are pending: refused with a message, 302).
    "GET reseau/": f"{AGENT_PAGE} *=200",
    "POST reseau/evaluations/<int:handover_id>": f"{AGENT_PAGE} *=302,404,404 partage=302,302,404 staff=404",
    "GET structures/<int:body_id>/reseau-interne/": f"{AGENT_PAGE} *=200,404,404 staff=404",
    "GET structures/<int:body_id>/services/": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/services/": f"{AGENT_PAGE} *=404 admin=400,404,404",
    # Responsabilité collective (issue 11): objects are each body's draft action, a notice addressed to it (its
    # partner's agents sent it: they see it, they do not answer it) and an opinion on its action.
    "GET actions/": f"{AGENT_PAGE} *=200",
    "GET actions/nouvelle": f"{AGENT_PAGE} *=200 staff=403",  # staff belong to no body
    "GET actions/<int:action_id>/": f"{AGENT_PAGE} *=200,404,404 staff=404",
    "POST actions/<int:action_id>/publication": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST actions/<int:action_id>/correction": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST actions/<int:action_id>/retrait": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST actions/<int:action_id>/opinions": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "POST actions/<int:action_id>/opinions/<int:opinion_id>/reponse": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "GET avis/": f"{AGENT_PAGE} *=200",
    "GET avis/<int:notice_id>/": f"{AGENT_PAGE} *=200,200,404 staff=404",
    "POST avis/<int:notice_id>/": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "GET flux/communes/<str:code>/actions.atom": PUBLIC_GET,
    "GET flux/communes/<str:code>/actions.ics": PUBLIC_GET,
    "GET flux/epci/<str:siren>/actions.atom": PUBLIC_GET,
    "GET flux/epci/<str:siren>/actions.ics": PUBLIC_GET,
    # Contracts (issue 14): every agent reads contracts, sheets and levers.
    "GET contrats/": f"{AGENT_PAGE} *=200",
    "GET contrats/<int:contrat_id>/": f"{AGENT_PAGE} *=200",
    "GET fiches/<int:fiche_id>/": f"{AGENT_PAGE} *=200",
    "GET structures/<int:body_id>/leviers/": f"{AGENT_PAGE} *=200",
    # A budget line's decision: the sheet's editors (signatories, pilot) and the funder's administrators.
    "POST lignes-budgetaires/<int:ligne_id>/statut": f"{AGENT_PAGE} *=403 admin=302,302,403 staff=302",
    # Shared files of a sheet: its pilot, partners and signatories only (others: 404, or 403 on the visible sheet).
    # The matrix posts no file: a member's form is refused (400, or back to the page with the message: 302).
    "POST fiches/<int:fiche_id>/fichiers": f"{AGENT_PAGE} *=400,400,403 staff=403",
    "GET fichiers/<int:file_id>/": f"{AGENT_PAGE} *=200,200,404 staff=404",
    "POST fichiers/<int:file_id>/versions": f"{AGENT_PAGE} *=302,302,404 staff=404",
    "GET fichiers/<int:file_id>/versions/<int:number>/telecharger": f"{AGENT_PAGE} *=200,200,404 staff=404",
    # projets-territoire: every agent exports; those who may act for a signatory import (no file here: back with
    # the message), others do not see the form (404).
    "GET contrats/<int:contrat_id>/projets-territoire.<str:fmt>": f"{AGENT_PAGE} *=200",
    "POST contrats/<int:contrat_id>/projets-territoire": f"{AGENT_PAGE} *=404 admin=302,302,404 staff=302",
    # Gatherings (issue 13): seen by the agents of the bodies invited (the organiser's included); organised, changed,
    # cancelled and their attendance noted by the organiser's administrators and référents (a refused cancellation
    # comes back with its message: 302). A reply is an invited agent's own. The private link: a wrong one is a 404.
    "GET rencontres/": f"{AGENT_PAGE} *=200",
    "GET rencontres/nouvelle": f"{AGENT_PAGE} *=403 admin=200",
    "GET rencontres/effet/": f"{AGENT_PAGE} *=200",
    "GET rencontres/<int:rencontre_id>/": f"{AGENT_PAGE} *=200,200,404 staff=404",
    "GET rencontres/<int:rencontre_id>/modifier": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST rencontres/<int:rencontre_id>/annuler": f"{AGENT_PAGE} *=302,302,404 staff=404",
    "POST rencontres/<int:rencontre_id>/reponse": f"{AGENT_PAGE} *=302,302,404 staff=404",
    "GET rencontres/<int:rencontre_id>/presences": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "GET rencontres/<int:rencontre_id>/invitation.ics": f"{AGENT_PAGE} *=200,200,404 staff=404",
    "GET rencontres/invitation/<str:token>/": "*=404",
    # Vis mon job (issue 13): an agent's own pairs, an administrator's body's; staff belong to no body. Objects are
    # each body's scheduled pair. A POST without a valid form: 400, or back to the page with a message (302).
    "GET vis-mon-job/": f"{AGENT_PAGE} *=200",
    "GET vis-mon-job/inscription/": f"{AGENT_PAGE} *=200 staff=403",
    "POST vis-mon-job/inscription/": f"{AGENT_PAGE} *=400 staff=403",
    "GET vis-mon-job/suggestions/": f"{AGENT_PAGE} *=200 staff=403",
    "POST vis-mon-job/proposer": f"{AGENT_PAGE} *=404",  # no such opt-in
    "GET vis-mon-job/<int:pair_id>/": f"{AGENT_PAGE} *=200,404,404 staff=404",
    "POST vis-mon-job/<int:pair_id>/action": f"{AGENT_PAGE} *=302,404,404 staff=404",
    "GET vis-mon-job/<int:pair_id>/convention/": f"{AGENT_PAGE} *=200,404,404 staff=404",
    "GET vis-mon-job/<int:pair_id>/retour/": f"{AGENT_PAGE} *=200,404,404 staff=404",
    "POST vis-mon-job/<int:pair_id>/retour/": f"{AGENT_PAGE} *=400,404,404 staff=404",
    # Webhooks (issue 15): the body's administrators only; another body's subscription does not exist for them.
    # The matrix posts an empty form (400); reactivating or replaying redirects with the outcome's message.
    "GET structures/<int:body_id>/webhooks/": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/webhooks/": f"{AGENT_PAGE} *=404 admin=400,404,404",
    "GET structures/<int:body_id>/webhooks/<uuid:webhook_id>/": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/webhooks/<uuid:webhook_id>/secret": f"{AGENT_PAGE} *=404 admin=200,404,404",
    "POST structures/<int:body_id>/webhooks/<uuid:webhook_id>/desactiver": f"{AGENT_PAGE} *=404 admin=302,404,404",
    "POST structures/<int:body_id>/webhooks/<uuid:webhook_id>/reactiver": f"{AGENT_PAGE} *=404 admin=302,404,404",
    "POST structures/<int:body_id>/webhooks/<uuid:webhook_id>/livraisons/<str:livraison_id>/rejouer": (
        f"{AGENT_PAGE} *=404 admin=302,404,404"
    ),
}

API: dict[str, str] = {
    "GET /ping": "*=200",
    # data·inclusion export (issue 15): public and read-only, the same rows for everyone.
    "GET /opendata/data-inclusion/structures": "*=200",
    "GET /opendata/data-inclusion/services": "*=200",
    "GET /communes": "*=422",  # q is required
    "GET /communes/{code}": "*=200",
    "GET /competences": "*=200",
    "GET /pivots": "*=200",
    "GET /communes/{code}/competences": "*=200",
    "GET /communes/{code}/competences/{competence}": "*=200",
    "GET /communes/{code}/guichets": "*=422",  # pivot is required
    "GET /declarations": "*=200",
    # The world already holds this declaration for each body: the administrator's own one is a conflict (409).
    # Issue 7: API tokens act as their body (a référent's token declares like a référent).
    "POST /declarations": "anonyme=401 personne=401 *=403 admin=409,403,403 jetonref=409,403,403 staff=409",
    "GET /structures/{structure_id}": "*=200",
    "GET /moments-de-vie": "*=200",
    "GET /moments-de-vie/{life_event}": "*=200",
    "POST /moments-de-vie/{life_event}/parcours": "*=200",
    "GET /etapes-locales": "*=200",
    "POST /etapes-locales": "anonyme=401 personne=401 *=403 admin=201,403,403 jetonref=201,403,403 staff=201",
    # Public referential objects (listed by GET above): another body's step is refused (403), not hidden.
    "POST /etapes-locales/{step_id}/retrait": (
        "anonyme=401 personne=401 *=403 admin=200,403,403 jetonref=200,403,403 staff=200"
    ),
    # Guichet unique.
    "POST /dossiers": "*=201",
    "GET /taches": "anonyme=401 personne=401 *=200",
    "GET /dossiers/{case_id}": "anonyme=401 personne=401 *=200,200,404 staff=404",
    "POST /taches/{task_id}/statut": "anonyme=401 personne=401 *=200,404,404 staff=404",
    # The mairie's own task already has a hand-over waiting for an answer: 400.
    "POST /taches/{task_id}/orientations": "anonyme=401 personne=401 *=201,404,404 partage=400,404,404 staff=404",
    "POST /orientations/{handover_id}/decision": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "POST /taches/{task_id}/avis-demandes": "anonyme=401 personne=401 *=201,404,404 staff=404",
    "POST /avis-demandes/{avis_demande_id}/reponse": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "GET /avis-demandes": "anonyme=401 personne=401 *=200",
    "POST /dossiers/{case_id}/messages": "anonyme=401 personne=401 *=201,201,404 staff=404",
    "POST /dossiers/{case_id}/notes": "anonyme=401 personne=401 *=201,201,404 staff=404",
    "GET /dossiers/{case_id}/journal": "anonyme=401 personne=401 *=403,403,404 admin=200,200,404 staff=404",
    "GET /suivi/{token}": "*=404 personne=200,200,404",
    "POST /suivi/{token}/messages": "*=404 personne=201,201,404",
    "POST /suivi/{token}/consentements/{body_id}/retrait": "*=404 personne=200,200,404",
    "GET /suivi/{token}/journal": "*=404 personne=200,200,404",
    "POST /taches/{task_id}/service": "anonyme=401 personne=401 *=200,404,404 staff=404",
    # Acteur-réseau (issue 12): figures about bodies, for agents; without `territoire`, the caller's département.
    "GET /reseau": "anonyme=401 personne=401 staff=403 *=200",
    "GET /reseau/csv": "anonyme=401 personne=401 staff=403 *=200",
    "GET /reseau/liens/csv": "anonyme=401 personne=401 staff=403 *=200",
    "GET /reseau/tendances": "anonyme=401 personne=401 staff=403 *=200",
    "GET /reseau/tendances/csv": "anonyme=401 personne=401 staff=403 *=200",
    # Open data: public (a token is not read there), no default territory without an agent session.
    "GET /reseau/donnees-ouvertes": "anonyme=400 personne=400 staff=400 jeton=400 jetonref=400 *=200",
    # The network between a body's services: its own agents only.
    "GET /structures/{id}/reseau-interne": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "GET /structures/{id}/reseau-interne/csv": "anonyme=401 personne=401 *=200,404,404 staff=404",
    # Ratings: the two bodies of a hand-over only (others: 404); the world's hand-overs are pending (400).
    "POST /orientations/{handover_id}/evaluation": (
        "anonyme=401 personne=401 *=400,404,404 partage=400,400,404 staff=404"
    ),
    # Responsabilité collective (issue 11). Any agent of a body drafts for it; drafts are seen by their body only.
    "POST /actions": "anonyme=401 personne=401 *=201,403,403 staff=403",
    "GET /actions/{id}": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "GET /actions/{id}/impacts": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "POST /actions/{id}/publication": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "GET /avis": "anonyme=401 personne=401 *=200",
    # The declarant sees the notice it sent (403 to answer it); another body's notice is a 404.
    "POST /avis/{id}/reponse": "anonyme=401 personne=401 *=200,403,404 staff=404",
    "GET /communes/{code}/actions": "*=200",
    # Contracts (issue 14): every agent and token reads (public commitments between public bodies); writes by those
    # who may act for a signatory or the pilot (administrators, référents, their tokens; staff for any body).
    "GET /contrats": "anonyme=401 personne=401 *=200",
    "POST /contrats": "anonyme=401 personne=401 *=403 admin=201,403,403 jetonref=201,403,403 staff=201",
    "GET /contrats/{id}": "anonyme=401 personne=401 *=200",
    "GET /contrats/{id}/fiches": "anonyme=401 personne=401 *=200",
    "POST /contrats/{id}/fiches": ("anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201"),
    "GET /fiches/{id}": "anonyme=401 personne=401 *=200",
    "GET /fiches/{id}/leviers": "anonyme=401 personne=401 *=200",
    "POST /fiches/{id}/lignes-budgetaires": (
        "anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201"
    ),
    "POST /lignes-budgetaires/{ligne_id}/statut": (
        "anonyme=401 personne=401 *=403 admin=200,200,403 jetonref=200,200,403 staff=200"
    ),
    "POST /fiches/{id}/etapes": "anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201",
    "POST /fiches/{id}/indicateurs": (
        "anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201"
    ),
    "POST /indicateurs/{indicateur_id}/valeurs": (
        "anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201"
    ),
    "GET /communes/{code}/contrats": "anonyme=401 personne=401 *=200",
    "GET /structures/{structure_id}/leviers": "anonyme=401 personne=401 *=200",
    "GET /contrats/{id}/projets-territoire": "anonyme=401 personne=401 *=200",
    "POST /contrats/{id}/projets-territoire": (
        "anonyme=401 personne=401 *=403 admin=201,201,403 jetonref=201,201,403 staff=201"
    ),
    # Gatherings (issue 13): tokens act as their body (a référent's token organises like a référent); a reply is a
    # person's own (a token has no invitation: 404); attendance before the start: 409.
    "GET /rencontres": "anonyme=401 personne=401 *=200",
    "POST /rencontres": "anonyme=401 personne=401 *=403 admin=201,403,403 jetonref=201,403,403",
    "GET /rencontres/effet": "anonyme=401 personne=401 *=200",
    "GET /rencontres/effet/territoire": "anonyme=401 personne=401 staff=403 *=200",
    "GET /rencontres/{id}": "anonyme=401 personne=401 *=200,200,404 staff=404",
    "GET /rencontres/{id}/invitation.ics": "anonyme=401 personne=401 *=200,200,404 staff=404",
    "POST /rencontres/{id}/modification": (
        "anonyme=401 personne=401 *=403,403,404 admin=200,403,404 jetonref=200,403,404 staff=404"
    ),
    "POST /rencontres/{id}/annulation": (
        "anonyme=401 personne=401 *=403,403,404 admin=200,403,404 jetonref=200,403,404 staff=404"
    ),
    "POST /rencontres/{id}/reponse": "anonyme=401 personne=401 *=200,200,404 jeton=404 jetonref=404 staff=404",
    "POST /rencontres/{id}/presences": (
        "anonyme=401 personne=401 *=403,403,404 admin=409,403,404 jetonref=409,403,404 staff=404"
    ),
    "GET /rencontres/invitation/{token}": "*=404",
    "POST /rencontres/invitation/{token}/reponse": "*=404",
    # Vis mon job (issue 13). Tokens act as their body: they read its suggestions and pairs; they neither opt in,
    # accept, approve nor give feedback (403). Objects: each body's scheduled pair (its agent proposed it).
    "GET /vis-mon-job/suggestions": "anonyme=401 personne=401 staff=403 *=200",
    "GET /vis-mon-job/inscriptions": "anonyme=401 personne=401 staff=403 *=200",
    "POST /vis-mon-job/inscription": "anonyme=401 personne=401 staff=403 jeton=403 jetonref=403 *=200",
    "POST /vis-mon-job/inscription/retrait": "anonyme=401 personne=401 staff=403 *=200",
    "GET /vis-mon-job/binomes": "anonyme=401 personne=401 *=200",
    "POST /vis-mon-job/binomes": "anonyme=401 personne=401 *=404",  # no such opt-in
    "GET /vis-mon-job/binomes/{id}": "anonyme=401 personne=401 *=200,404,404 staff=404",
    # Only the agent asked accepts (the proposer: 403); the pair is past that step anyway.
    "POST /vis-mon-job/binomes/{id}/acceptation": "anonyme=401 personne=401 *=403,404,404 staff=404",
    # The proposer can no longer refuse (409: withdraw instead); the body's administrator refuses for it.
    "POST /vis-mon-job/binomes/{id}/refus": (
        "anonyme=401 personne=401 *=409,404,404 admin=200,404,404 jeton=403,404,404 jetonref=403,404,404 staff=404"
    ),
    "POST /vis-mon-job/binomes/{id}/retrait": (
        "anonyme=401 personne=401 *=200,404,404 admin=403,404,404 jeton=403,404,404 jetonref=403,404,404 staff=404"
    ),
    "POST /vis-mon-job/binomes/{id}/approbation": (
        "anonyme=401 personne=401 *=403,404,404 admin=409,404,404 staff=404"
    ),
    "POST /vis-mon-job/binomes/{id}/dates": (
        "anonyme=401 personne=401 *=200,404,404 jeton=403,404,404 jetonref=403,404,404 staff=404"
    ),
    "GET /vis-mon-job/binomes/{id}/invitation.ics": "anonyme=401 personne=401 *=200,404,404 staff=404",
    "POST /vis-mon-job/binomes/{id}/realisation": (
        "anonyme=401 personne=401 *=409,404,404 jeton=403,404,404 jetonref=403,404,404 staff=404"
    ),
    "POST /vis-mon-job/binomes/{id}/retour": (
        "anonyme=401 personne=401 *=409,404,404 admin=403,404,404 jeton=403,404,404 jetonref=403,404,404 staff=404"
    ),
    # Webhooks (issue 15): a body's administrators and its référent tokens (a token cannot be administrator); an
    # agent, an agent's token or staff may not subscribe (403); another body's subscription is a 404.
    "GET /webhooks/evenements": "*=200",
    "GET /webhooks": "anonyme=401 personne=401 *=200",
    "POST /webhooks": "anonyme=401 personne=401 *=403 admin=201,403,403 jetonref=201,403,403",
    "GET /webhooks/{webhook_id}": "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404",
    "POST /webhooks/{webhook_id}/secret": "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404",
    "POST /webhooks/{webhook_id}/desactivation": (
        "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404"
    ),
    "POST /webhooks/{webhook_id}/reactivation": (
        "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404"
    ),
    "GET /webhooks/{webhook_id}/livraisons": "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404",
    "POST /webhooks/{webhook_id}/livraisons/{livraison_id}/rejouer": (
        "anonyme=401 personne=401 *=404 admin=200,404,404 jetonref=200,404,404"
    ),
}


def _expectations(spec: str, roles: tuple[str, ...]) -> dict[tuple[str, str], str]:
    parsed: dict[str, list[str]] = {}
    for item in spec.split():
        role, value = item.split("=")
        parts = value.split(",")
        parsed[role] = parts * 3 if len(parts) == 1 else parts
    out = {}
    for role in roles:
        values = parsed.get(role) or parsed.get("*")
        assert values, f"pas d'attendu pour le rôle {role} dans « {spec} »"
        for obj, v in zip(OBJECTS, values, strict=True):
            out[(role, obj)] = v
    return out


# --- What each request sends ---------------------------------------------------------------------------------------


def _html_data(pattern: str, w: World, role: str, obj: str) -> dict[str, Any]:
    home = w.target(role, "propre")
    return {
        "suivi/<str:token>/messages": {"text": "Bonjour"},
        "dossiers/<uuid:public_id>/taches/<int:task_id>/statut": {"status": "in_progress"},
        "dossiers/<uuid:public_id>/taches/<int:task_id>/orientation": {
            "structure": w.bodies[FOREIGN[home]].pk,
            "reason": "motif",
        },
        "dossiers/<uuid:public_id>/orientations/<int:handover_id>/decision": {"decision": "accept"},
        "dossiers/<uuid:public_id>/taches/<int:task_id>/avis": {"structure": w.bodies[FOREIGN[home]].pk, "text": "Q ?"},
        "dossiers/<uuid:public_id>/avis/<int:avis_demande_id>/reponse": {"text": "Avis"},
        "dossiers/<uuid:public_id>/messages": {"text": "Bonjour"},
        "dossiers/<uuid:public_id>/notes": {"text": "Note"},
        "structures/<int:body_id>/agents/<int:membership_id>/role": {"role": "referent"},
        "avis/<int:notice_id>/": {"answer": "non_concerne"},
        "actions/<int:action_id>/correction": {"changes": "Dates"},
        "actions/<int:action_id>/opinions": {"body": w.bodies[home].pk, "text": "Avis"},
        "actions/<int:action_id>/opinions/<int:opinion_id>/reponse": {"text": "Merci"},
        "lignes-budgetaires/<int:ligne_id>/statut": {f"ligne{w.lines[w.target(role, obj)].pk}-status": "accorde"},
        **dict.fromkeys(
            (
                "open311/v2/services.<o311fmt:format>",
                "open311/v2/services/<str:service_code>.<o311fmt:format>",
                "open311/v2/requests/<str:service_request_id>.<o311fmt:format>",
                "open311/v2/tokens/<str:open311_token>.<o311fmt:format>",
                "open311/v2/servicerequestupdates.<o311fmt:format>",
            ),
            {"jurisdiction_id": "34274"},
        ),
        "open311/v2/requests.<o311fmt:format>": {
            "jurisdiction_id": "34274",
            "service_code": "dechets-menagers",
            "attribute[commune]": "34274",
        },
        "rencontres/<int:rencontre_id>/reponse": {"reply": "oui"},
    }.get(pattern, {})


def _api_data(path: str, w: World, role: str, obj: str) -> dict[str, Any] | None:
    home = w.target(role, "propre")
    target = w.target(role, obj)
    return {
        "/declarations": {  # the target body's own declaration again: a conflict (409) once allowed
            "structure": w.bodies[target].pk,
            "competence": LAWFUL[target][0],
            "communes": [LAWFUL[target][1]],
            "debut": "2026-01-01",
            "fondement": "statuts",
        },
        "/moments-de-vie/{life_event}/parcours": {"commune": "34274", "choix": MOVE},
        "/etapes-locales": {
            "structure": w.bodies[target].pk,
            "moment_de_vie": "F16225",
            "titre": "Relais",
            "lien": "https://exemple.fr",
            "debut": "2026-01-01",
        },
        "/dossiers": {
            "moment_de_vie": "je-demenage",
            "choix": MOVE,
            "commune": "34274",
            "commune_depart": "44195",
            "donnees": {"nom": "Nouvelle"},
        },
        "/taches/{task_id}/statut": {"statut": "in_progress"},
        "/taches/{task_id}/orientations": {"structure": w.bodies[FOREIGN[home]].pk, "motif": "motif"},
        "/orientations/{handover_id}/decision": {"decision": "acceptee"},
        "/taches/{task_id}/avis-demandes": {"structure": w.bodies[FOREIGN[home]].pk, "question": "Q ?"},
        "/avis-demandes/{avis_demande_id}/reponse": {"reponse": "Avis"},
        "/taches/{task_id}/service": {"service": None},
        "/orientations/{handover_id}/evaluation": dict.fromkeys(
            ("alignement", "ouverture", "fiabilite", "ressources", "influence", "engagement"), 3
        ),
        "/dossiers/{case_id}/messages": {"texte": "Bonjour"},
        "/dossiers/{case_id}/notes": {"texte": "Note"},
        "/suivi/{token}/messages": {"texte": "Bonjour"},
        "/actions": {
            "structure": w.bodies[target].pk,
            "type": "guichet",
            "titre": "Fermeture du guichet le samedi",
            "debut": "2026-09-01",
            "fin": "2026-09-30",
            "communes": [LAWFUL[target][1]],
            "competences": [LAWFUL[target][0]],
        },
        "/avis/{id}/reponse": {"reponse": "non_concerne"},
        "/contrats": {
            "type": "autre",
            "titre": "Convention",
            "perimetre": [f"commune:{LAWFUL[target][1]}"],
            "signataires": [w.bodies[target].pk],
            "debut": "2026-01-01",
        },
        "/contrats/{id}/fiches": {
            "titre": "Fiche",
            "pilote": w.bodies[target].pk,
            "competences": ["voirie-communale"],
            "communes": [LAWFUL[target][1]],
        },
        "/fiches/{id}/lignes-budgetaires": {"financeur": w.bodies[target].pk, "total": 10, "montant": 5},
        "/lignes-budgetaires/{ligne_id}/statut": {"statut": "accorde"},
        "/fiches/{id}/etapes": {"titre": "Étude de faisabilité", "prevue_le": "2026-06-01"},
        "/fiches/{id}/indicateurs": {"libelle": "Voyageurs par jour", "cible": 300},
        "/indicateurs/{indicateur_id}/valeurs": {"date": "2026-06-01", "valeur": 120},
        "/contrats/{id}/projets-territoire": {"pilote": w.bodies[target].pk, "projets": []},
        "/rencontres": {
            "structure": w.bodies[target].pk,
            "titre": "Fête des voisins au travail",
            "lieu": "Salle",
            "debut": (timezone.now() + timedelta(days=20)).isoformat(),
            "fin": (timezone.now() + timedelta(days=20, hours=2)).isoformat(),
        },
        "/rencontres/{id}/modification": {"lieu": "Autre salle"},
        "/rencontres/{id}/annulation": {"motif": "Salle indisponible"},
        "/rencontres/{id}/reponse": {"reponse": "oui"},
        "/rencontres/{id}/presences": {"presents": []},
        "/rencontres/invitation/{token}/reponse": {"reponse": "oui"},
        "/vis-mon-job/inscription": {"metier": "Gestionnaire", "a_montrer": "L'instruction"},
        "/vis-mon-job/inscription/retrait": {},
        "/vis-mon-job/binomes": {"inscription": 999999},
        "/vis-mon-job/binomes/{id}/refus": {"motif": "Indisponible"},
        "/vis-mon-job/binomes/{id}/retrait": {"motif": "Indisponible"},
        "/vis-mon-job/binomes/{id}/dates": {"debut": "2099-04-01", "fin": "2099-04-02"},
        "/vis-mon-job/binomes/{id}/retour": {"texte": "Utile", "utilite": 3},
        # A public address (Quad9's), never contacted: no delivery runs in the matrix.
        "/webhooks": {
            "structure": w.bodies[target].pk,
            "url": "https://9.9.9.9/webhooks",
            "evenements": ["avis.nouveau"],
        },
    }.get(path)


def _outcome(response) -> str:  # noqa: ANN001
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith("/connexion/") and "next=" in location:
            return "login"
        if location.startswith("/admin/login/"):
            return "admin-login"
        return "302"
    return str(response.status_code)


def _request(client: Client, method: str, path: str, data: Any = None, *, json_body: bool = False):  # noqa: ANN202
    """One request whose writes are rolled back: each cell starts from the same world."""
    saved = copy.deepcopy(client.cookies)
    fresh = client
    with transaction.atomic():
        if method == "GET":
            response = fresh.get(path, data or {})
        elif json_body:
            response = fresh.post(path, data or {}, content_type="application/json")
        else:
            response = fresh.post(path, data or {})
        transaction.set_rollback(True)
    client.cookies = saved
    return response


# --- URL enumeration ------------------------------------------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            found += _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append((prefix + str(p.pattern), p))
    return found


API_PREFIX, ADMIN_PREFIX = "api/v1/", "admin/"


def _api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{m.upper()} {p.removeprefix('/api/v1')}" for p, ops in schema["paths"].items() for m in ops}


def _api_url_patterns() -> set[str]:
    """The resolver's view of the API operations (api/v1/communes/<code> ↔ /communes/{code})."""
    return {
        p
        for p, _ in _patterns(get_resolver())
        if p.startswith(API_PREFIX) and p not in {API_PREFIX, f"{API_PREFIX}openapi.json", f"{API_PREFIX}docs"}
    }


def _html_patterns() -> set[str]:
    return {
        p
        for p, _ in _patterns(get_resolver())
        if not p.startswith(ADMIN_PREFIX) or p == "admin/login/"
        if not (p.startswith(API_PREFIX) and p in _api_url_patterns())
    }


def _admin_patterns() -> list[tuple[str, URLPattern]]:
    return [(p, u) for p, u in _patterns(get_resolver()) if p.startswith(ADMIN_PREFIX) and p != "admin/login/"]


def test_every_url_and_operation_is_in_the_matrix():
    declared_html = {k.split(" ", 1)[1] for k in HTML}
    missing_html = sorted(_html_patterns() - declared_html)
    stale_html = sorted(declared_html - _html_patterns())
    assert missing_html == [], f"URL absentes de la matrice d'isolement (tests/test_isolation.py) : {missing_html}"
    assert stale_html == [], f"URL de la matrice qui n'existent plus : {stale_html}"
    missing_api = sorted(_api_operations() - set(API))
    stale_api = sorted(set(API) - _api_operations())
    assert missing_api == [], f"opérations d'API absentes de la matrice d'isolement : {missing_api}"
    assert stale_api == [], f"opérations de la matrice qui n'existent plus dans l'API : {stale_api}"
    api_paths = {re.sub(r"<(\w+)>", r"{\1}", p.removeprefix(API_PREFIX.rstrip("/"))) for p in _api_url_patterns()}
    assert api_paths == {op.split(" ", 1)[1] for op in API}, "les URL de l'API et le schéma OpenAPI divergent"
    assert _admin_patterns(), "l'administration Django n'a plus d'URL ?"


# --- The matrix -----------------------------------------------------------------------------------------------------


def _fill(pattern: str, ctx: dict[str, Any]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(2)
        if pattern.startswith("notifications/") and name == "pk":
            name = "notification"
        return str(ctx[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, pattern)


# `{id}` (the issues' names) names a different object per path.
API_IDS = {
    "/actions/": "action_id",
    "/avis/": "notice_id",
    "/contrats/": "contrat_id",
    "/fiches/": "fiche_id",
    "/structures/": "structure_id",
    "/rencontres/": "rencontre_id",
    "/vis-mon-job/binomes/": "binome_id",
}


def _api_url(path: str, ctx: dict[str, Any]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name == "id":
            name = next(v for k, v in API_IDS.items() if path.startswith(k))
        return str(ctx[name])

    return "/api/v1" + re.sub(r"{(\w+)}", sub, path)


def _admin_path(pattern: str, w: World) -> str:
    """Admin URLs; object ids name no object (999999): staff are sent back to the list."""
    path = re.sub(r"\^|\$|\(\?P<app_label>[^)]*\)", lambda m: "cases" if m.group(0).startswith("(") else "", pattern)
    path = path.replace("(?P<url>.*)", "pas-une-page/")
    path = re.sub(r"<path:content_type_id>", "1", path)
    path = re.sub(r"<(?:\w+:)?(object_id|id|pk)>", "999999", path)
    return "/" + re.sub(r"<[^>]+>", "1", path)


# Admin models without add (and delete) for staff: their rows are written by the product only.
ADMIN_NO_ADD = {
    "accounts/accountevent",
    "accounts/apitoken",
    "accounts/invitation",
    "cases/accesslog",
    "cases/case",
    "cases/handover",
    "cases/idempotencykey",
    "cases/task",
    "django_tasks_database/dbtaskresult",
    "network/interaction",
    "network/tierating",
    "impacts/action",
    "impacts/exchange",
    "impacts/notice",
    "notifications/outboxemail",
    "open311/servicerequest",
    "gatherings/gathering",
    "shadowing/feedback",
    "shadowing/pair",
    "shadowing/pairevent",
}
ADMIN_NO_DELETE = {
    "gatherings/gathering",
    "accounts/accountevent",
    "cases/accesslog",
    "cases/case",
    "cases/handover",
    "cases/idempotencykey",
    "cases/task",
    "django_tasks_database/dbtaskresult",
    "network/interaction",
    "network/tierating",
    "impacts/action",
    "impacts/exchange",
    "impacts/notice",
    "open311/servicerequest",
    "shadowing/pairevent",
}
ADMIN_SPECIAL = {
    "admin/logout/": "*=302 staff=405",  # POST only
    "admin/autocomplete/": "*=admin-login staff=403",  # needs its parameters
    "admin/r/<path:content_type_id>/<path:object_id>/": "*=admin-login staff=404",
    "admin/auth/user/<id>/password/": "*=admin-login staff=404",
    "admin/(?P<url>.*)$": "*=admin-login staff=404",
    # Agents' TOTP secrets and QR codes are never shown (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    "admin/otp_totp/totpdevice/<int:pk>/config/": "*=admin-login staff=403",
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": "*=admin-login staff=403",
}


def _admin_expected(pattern: str) -> str:
    """Everyone but staff (with the second factor) goes to the admin's login. Staff: lists and forms 200; an object
    URL naming no object (999999) sends back to the list (302); read-only models refuse add and delete (403)."""
    if pattern in ADMIN_SPECIAL:
        return ADMIN_SPECIAL[pattern]
    model = "/".join(pattern.split("/")[1:3])
    if pattern.endswith("/add/"):
        staff = "403" if model in ADMIN_NO_ADD else "200"
    elif "<path:object_id>" in pattern:
        staff = "403" if pattern.endswith("/delete/") and model in ADMIN_NO_DELETE else "302"
    else:
        staff = "200"
    return f"*=admin-login staff={staff}"


def _cells(w: World):  # noqa: ANN202
    """Yield (label, role, obj, expected, response) for every cell of the matrix."""
    for key, spec in HTML.items():
        method, pattern = key.split(" ", 1)
        expected = _expectations(spec, ROLES)
        for role in ROLES:
            for obj in OBJECTS:
                path = _fill(pattern, w.ctx(role, obj))
                data = _html_data(pattern, w, role, obj)
                yield key, role, obj, expected[(role, obj)], _request(w.clients[role], method, path, data)
    for pattern, _ in _admin_patterns():
        expected = _expectations(_admin_expected(pattern), ROLES)
        path = _admin_path(pattern, w)
        for role in ROLES:
            response = _request(w.clients[role], "GET", path)
            for obj in OBJECTS[:1]:  # admin objects are not a body's: one object per role
                yield f"GET {pattern}", role, obj, expected[(role, obj)], response
    for key, spec in API.items():
        method, path = key.split(" ", 1)
        expected = _expectations(spec, API_ROLES)
        for role in API_ROLES:
            for obj in OBJECTS:
                url = _api_url(path, w.ctx(role, obj))
                data = _api_data(path, w, role, obj)
                if method == "GET":
                    response = _request(w.clients[role], "GET", url)
                else:
                    response = _request(w.clients[role], "POST", url, data, json_body=True)
                yield key, role, obj, expected[(role, obj)], response


def test_isolation_matrix(world):
    deviations, observed, size = [], {}, 0
    for label, role, obj, expected, response in _cells(world):
        size += 1
        actual = _outcome(response)
        observed.setdefault(label, {})[(role, obj)] = actual
        if actual != expected or response.status_code >= 500:
            deviations.append(f"{label} | {role} × {obj} : attendu {expected}, obtenu {actual}")
    if os.environ.get("ISOLATION_AFFICHER"):
        with open(os.environ["ISOLATION_AFFICHER"], "w") as out:
            for label, cells in observed.items():
                by_role: dict[str, list[str]] = {}
                for (role, _obj), v in cells.items():
                    by_role.setdefault(role, []).append(v)
                shown = " ".join(f"{r}={','.join(v) if len(set(v)) > 1 else v[0]}" for r, v in by_role.items())
                print(label, shown, file=out)
    print(f"\nMatrice d'isolement : {size} cellules, {len(deviations)} écart(s)")
    assert size > 1000
    assert deviations == [], "écarts à la matrice d'isolement :\n" + "\n".join(deviations)


# --- Lists, fields, notes, consent, CSRF -----------------------------------------------------------------------------


def html(response) -> str:  # noqa: ANN001
    return unescape(response.content.decode())


def _case_ids(case: Case) -> list[str]:
    ids = [str(case.public_id), case.reference, *[str(t.pk) for t in case.tasks.all()]]
    return ids


def test_lists_search_and_counts_show_nothing_of_other_bodies(world):
    case_a, case_b = world.cases[CAF34], world.cases[CAF22]
    foreign = world.clients["etranger"]  # CAF des Côtes-d'Armor: no part in case A
    pages = [
        html(foreign.get("/taches/")),
        html(foreign.get("/taches/", {"commune": "34274"})),
        html(foreign.get("/taches/", {"moment_de_vie": "je-demenage"})),
        html(foreign.get("/structures/recherche", {"q": "caf"})),
    ]
    items = foreign.get("/api/v1/taches", {"limite": 200}).json()
    assert {i["dossier"] for i in items} == {str(case_b.public_id)}
    assert foreign.get("/api/v1/taches", {"commune": "34274"}).json() == []
    text = "\n".join(pages) + repr(items)
    leaked = [x for x in (str(case_a.public_id), case_a.reference) if x in text]
    assert leaked == [], f"identifiants du dossier A visibles par une structure étrangère : {leaked}"
    task_ids = {i["id"] for i in items}
    assert task_ids == {world.tasks[CAF22].pk}, "la liste contient des tâches d'autres structures"
    # Own agent: only the CAF de l'Hérault's task; nothing of case B.
    own = world.clients["propre"].get("/api/v1/taches", {"limite": 200}).json()
    assert [i["id"] for i in own] == [world.tasks[CAF34].pk]
    assert case_b.reference not in html(world.clients["propre"].get("/taches/"))
    # Staff without membership: the agent lists are empty.
    assert world.clients["staff"].get("/api/v1/taches").json() == []
    # No personal data in lists.
    assert not [f for f in field_labels() if _value(f) in text + repr(own)]


@pytest.mark.parametrize("key", [CAF34, MAIRIE34, CAF22])
def test_each_body_sees_only_the_fields_its_open_tasks_need(world, key):
    role = {CAF34: "propre", MAIRIE34: "partage", CAF22: "etranger"}[key]
    client, case = world.clients[role], world.cases[key]
    suffix = "A" if case == world.cases[CAF34] else "B"
    allowed = set(needs(world.tasks[key].pivot))
    page = html(client.get(f"/dossiers/{case.public_id}/"))
    data = client.get(f"/api/v1/dossiers/{case.public_id}").json()
    assert {d["champ"] for d in data["donnees"]} == allowed - {"courriel"}
    shown = [f for f in field_labels() if f"{_value(f)}{suffix}" in page or f"{_value(f)}{suffix}" in repr(data)]
    assert set(shown) == allowed - {"courriel", "date_naissance"}, f"{key} voit {sorted(set(shown) - allowed)}"
    extra = sorted(set(shown) - allowed)
    assert extra == [], f"{key} voit des champs dont ses tâches n'ont pas besoin : {extra}"
    # Internal notes: its own only, in HTML and API; never on the person's page.
    others = [t for k, t in world.notes.items() if k != key]
    assert world.notes[key] in page and [n["texte"] for n in data["notes"]] == [world.notes[key]]
    assert not [t for t in others if t in page or t in repr(data)]
    person = html(world.clients["personne"].get(f"/suivi/{world.person_token}/"))
    person_api = world.clients["personne"].get(f"/api/v1/suivi/{world.person_token}").json()
    assert not [t for t in world.notes.values() if t in person or t in repr(person_api)]


def test_the_mairie_never_sees_the_caf_number(world):
    case = world.cases[CAF34]
    mairie = world.clients["partage"]
    number = f"{_value('numero_allocataire')}A"
    assert number in html(world.clients["propre"].get(f"/dossiers/{case.public_id}/"))
    assert number not in html(mairie.get(f"/dossiers/{case.public_id}/"))
    assert number not in mairie.get(f"/api/v1/dossiers/{case.public_id}").content.decode()


def test_consent_withdrawal_cuts_the_next_request(world):
    case, token = world.cases[CAF34], world.person_token
    caf = world.clients["propre"]
    url, api_url = f"/dossiers/{case.public_id}/", f"/api/v1/dossiers/{case.public_id}"
    number = f"{_value('numero_allocataire')}A"
    first = caf.get(url)
    assert number in html(first) and caf.get(api_url).json()["donnees"]
    assert "no-store" in first.get("Cache-Control", ""), "une page de données personnelles peut être mise en cache"
    person = world.clients["personne"]
    assert person.post(f"/suivi/{token}/consentements/{world.bodies[CAF34].pk}/retrait").status_code == 302
    after = caf.get(url)
    values = [f"{_value(f)}A" for f in field_labels()]
    assert after.status_code == 200 and not [v for v in values if v in html(after)]
    data = caf.get(api_url).json()
    assert data["donnees"] == [] and data["consentement"] is False
    assert not [v for v in values if v in repr(data)]
    # The API token of the same body is cut too; the mairie keeps its access.
    token_client = world.clients["jeton"]
    assert token_client.get(api_url).json()["donnees"] == []
    assert world.clients["partage"].get(api_url).json()["donnees"]
    # Withdrawing for a body with no task in the case is a 404.
    assert person.post(f"/suivi/{token}/consentements/{world.bodies[CAF22].pk}/retrait").status_code == 404
    assert timezone.now()


UNSAFE_HTML = [k.split(" ", 1)[1] for k in HTML if k.startswith("POST ")]
UNSAFE_API = [k.split(" ", 1)[1] for k in API if k.startswith("POST ")]


def test_csrf_is_enforced_on_every_unsafe_form_and_session_api_call(world):
    """Every POST of the site, with the role that may send it, without the CSRF token: 403, nothing changed."""
    refused, cases = [], Case.objects.count()
    for pattern in UNSAFE_HTML:
        if pattern.startswith("open311/"):
            continue  # Open311 writes use no cookie: the body's api_key in the form authenticates them
        role = "personne" if pattern.startswith("suivi/") else "admin"
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = copy.deepcopy(world.clients[role].cookies)
        path = _fill(pattern, world.ctx(role, "propre"))
        response = strict.post(path, _html_data(pattern, world, role, "propre"))
        if response.status_code != 403:
            refused.append(f"{pattern} : {response.status_code}")
    for path in UNSAFE_API:
        if path in ("/dossiers", "/moments-de-vie/{life_event}/parcours") or path.startswith(
            ("/suivi/", "/rencontres/invitation/")
        ):
            continue  # open to the person without a session: no session cookie, no CSRF risk
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = copy.deepcopy(world.clients["admin"].cookies)
        ctx = world.ctx("admin", "propre")
        url = _api_url(path, ctx)
        response = strict.post(url, _api_data(path, world, "admin", "propre") or {}, content_type="application/json")
        if response.status_code != 403:
            refused.append(f"API {path} : {response.status_code}")
    assert refused == [], f"formulaires ou appels acceptés sans jeton CSRF : {refused}"
    assert Case.objects.count() == cases and not Handover.objects.exclude(status="pending").exists()


def test_foreign_ids_of_any_shape_are_404(world):
    """Unknown, malformed and foreign case ids look the same to an agent."""
    caf = world.clients["propre"]
    for case_id in (uuid.uuid4(), world.cases[CAF22].public_id):
        assert caf.get(f"/dossiers/{case_id}/").status_code == 404
        assert caf.get(f"/api/v1/dossiers/{case_id}").status_code == 404
    assert caf.get("/api/v1/dossiers/pas-un-uuid").status_code == 404
    assert caf.get(f"/dossiers/{world.cases[CAF34].public_id}/?structure={world.bodies[CAF22].pk}").status_code == 404


def test_staff_see_no_personal_data_in_the_admin(world):
    staff = world.clients["staff"]
    case = world.cases[CAF34]
    pages = [
        staff.get("/admin/cases/case/"),
        staff.get(f"/admin/cases/case/{case.pk}/change/"),
        staff.get(f"/admin/cases/task/{world.tasks[CAF34].pk}/change/"),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200]
    text = "".join(html(p) for p in pages)
    assert not [f for f in field_labels() if _value(f) in text] and not [n for n in world.notes.values() if n in text]


# --- Issue 7 (Sécurité): who may declare what, where — every role × own territory / foreign territory / wrong kind ---
# The declaring body is the CAF de l'Hérault for every role. « territoire » : prestations familiales at Saint-Clément-
# de-Rivière (Hérault); « etranger » : the same at Saint-Brieuc (Côtes-d'Armor); « type » : état civil, a commune's
# competence, at Saint-Clément-de-Rivière. Cells: HTTP status and error code (API) or status (web form).

DECLARATION_CASES = {
    "territoire": ("prestations-familiales", "34247"),
    "etranger": ("prestations-familiales", "22278"),
    "type": ("etat-civil", "34247"),
}
REFUSED = "403:hors_territoire", "403:competence_interdite"
DECLARATION_API = {
    "anonyme": ("401:non_authentifie",) * 3,
    "personne": ("401:non_authentifie",) * 3,
    "propre": ("403:non_autorise",) * 3,  # an agent, not a référent
    "partage": ("403:non_autorise",) * 3,  # another body's agent
    "etranger": ("403:non_autorise",) * 3,
    "jeton": ("403:non_autorise",) * 3,  # the CAF's token with the agent role
    "admin": ("201", *REFUSED),
    "jetonref": ("201", *REFUSED),  # the CAF's token with the référent role acts as a référent
    "staff": ("201", *REFUSED),  # the platform administrator too is bound by territory and kind
}
# The web form offers the bodies one may declare for: others are refused before the service (403 « nobody to act
# for »), people without a session go to the login page.
DECLARATION_WEB = {
    "anonyme": ("login",) * 3,
    "personne": ("login",) * 3,
    "propre": ("403",) * 3,
    "partage": ("403",) * 3,
    "etranger": ("403",) * 3,
    "admin": ("302", "403", "403"),
    "staff": ("403",) * 3,
}


def test_declaration_cells_for_every_role(world):
    caf = world.bodies[CAF34].pk
    deviations, before = [], Exercise.objects.count()
    for role, expected in DECLARATION_API.items():
        for (case, (competence, commune)), want in zip(DECLARATION_CASES.items(), expected, strict=True):
            payload = {
                "structure": caf,
                "competence": competence,
                "communes": [commune],
                "debut": "2026-01-01",
                "fondement": "convention",
            }
            response = _request(world.clients[role], "POST", "/api/v1/declarations", payload, json_body=True)
            got = str(response.status_code)
            if response.status_code >= 400:
                got += ":" + response.json()["erreur"]["code"]
            if got != want:
                deviations.append(f"API {role} × {case} : attendu {want}, obtenu {got}")
    for role, expected in DECLARATION_WEB.items():
        for (case, (competence, commune)), want in zip(DECLARATION_CASES.items(), expected, strict=True):
            form = {
                "body": caf,
                "competence": competence,
                "communes": commune,
                "start": "2026-01-01",
                "basis": "convention",
            }
            got = _outcome(_request(world.clients[role], "POST", "/declarations/", form))
            if got != want:
                deviations.append(f"web {role} × {case} : attendu {want}, obtenu {got}")
    assert deviations == [], "écarts des déclarations :\n" + "\n".join(deviations)
    assert Exercise.objects.count() == before  # every cell rolled back; refused ones never wrote
