"""Demo of the gatherings (issue 13): the CC Estuaire et Sillon (Savenay, 44) held a « fête des voisins au travail »
about a hundred days ago for the agents of its communes and partner bodies, who replied and came; around it, simulated
months of births declared at Savenay and at Malville (a commune of the same intercommunalité whose mairie took part
in nothing) give the effect panel its before/after figures. A second gathering to come, with few places, shows the
replies and the waiting list.

Called by `sanscouture demo` (web layer) after the network's demo. Idempotent: a second run creates nothing."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from sanscouture.bodies.models import Body
from sanscouture.cases.models import Case, CaseData, Handover, Task
from sanscouture.cases.services import declaration_submit, handover_decide, task_hand_over
from sanscouture.network.services import interactions_sync

from .ics import PARIS
from .models import Gathering
from .services import attendance_record, gathering_create, invitation_reply

ORGANISER = "epci:200072734"  # CC Estuaire et Sillon
ORGANISER_AGENT = "demo-cc-estuaire-sillon"
PAST_TITLE = "Fête des voisins au travail"
NEXT_TITLE = "Matinée d'accueil des nouveaux agents"
DAYS_AGO = 100
BIRTH = [
    "avez-vous-un-autre-enfant-a-charge-non",
    "avez-vous-un-emploi-oui",
    "etes-vous-locataire-d-un-logement-social-hlm-non",
]
# (commune, days from the gathering, CAF → Département hand-over: (hours to the decision, accepted?) or None)
BIRTHS = [
    ("44195", -160, (70, False)),
    ("44195", -95, (60, True)),
    ("44195", -40, None),
    ("44089", -150, None),
    ("44089", -60, None),
    ("44195", 12, (10, True)),
    ("44195", 30, (6, True)),
    ("44195", 55, (20, True)),
    ("44195", 80, None),
    ("44089", 40, None),
]
# Who replies to the past gathering, and who came.
REPLIES = {
    "demo-mairie-savenay": "oui",
    "demo-guichet-savenay": "peut_etre",
    "demo-caf-44": "oui",
    "demo-departement-44": "oui",
    "demo-cc-estuaire-sillon": "oui",
}
CAME = {"demo-mairie-savenay", "demo-caf-44", "demo-departement-44", "demo-cc-estuaire-sillon"}
NEXT_REPLIES = [
    ("demo-mairie-savenay", "oui"),
    ("demo-caf-44", "oui"),
    ("demo-departement-44", "oui"),
    ("demo-guichet-savenay", "oui"),  # the fourth « oui » for three places: the waiting list
]


def _at(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=PARIS)


def _past_gathering(users) -> Gathering:  # noqa: ANN001
    organiser = Body.objects.get(key=ORGANISER)
    found = Gathering.objects.filter(organiser=organiser, title=PAST_TITLE).first()
    if found:
        return found
    day = timezone.now().astimezone(PARIS) - timedelta(days=DAYS_AGO)
    start = _at(day, 12)
    g = gathering_create(
        organiser=organiser,
        actor=users.get(username=ORGANISER_AGENT),
        title=PAST_TITLE,
        place="Salle Équinoxe, Savenay",
        description="Un déjeuner partagé entre les agents des mairies, de la communauté de communes, du Département "
        "et de la CAF : se connaître pour mieux travailler ensemble (démonstration).",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=80,
        now=start - timedelta(days=30),
    )
    for inv in g.invitations.select_related("user"):
        reply = REPLIES.get(inv.user.username)
        if reply:
            invitation_reply(invitation=inv, reply=reply, now=start - timedelta(days=20))
    present = {inv.pk for inv in g.invitations.select_related("user") if inv.user.username in CAME}
    attendance_record(gathering=g, actor=users.get(username=ORGANISER_AGENT), present=present, now=start)
    return g


def _next_gathering(users) -> Gathering:  # noqa: ANN001
    organiser = Body.objects.get(key=ORGANISER)
    found = Gathering.objects.filter(organiser=organiser, title=NEXT_TITLE, starts_at__gt=timezone.now()).first()
    if found:
        return found
    start = _at(timezone.now().astimezone(PARIS) + timedelta(days=21), 9)
    g = gathering_create(
        organiser=organiser,
        actor=users.get(username=ORGANISER_AGENT),
        title=NEXT_TITLE,
        place="Siège de la communauté de communes, Savenay",
        description="Café d'accueil et tour des services du territoire (démonstration).",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=3,
    )
    invitations = {inv.user.username: inv for inv in g.invitations.select_related("user")}
    for username, reply in NEXT_REPLIES:
        if username in invitations:
            invitation_reply(invitation=invitations[username], reply=reply)
    return g


def _months(g: Gathering, users) -> None:  # noqa: ANN001
    """Births declared before and after the gathering, and the CAF's hand-overs to the Département."""
    caf_agent, dep_agent = users.get(username="demo-caf-44"), users.get(username="demo-departement-44")
    dep = Body.objects.get(key="departement:44")
    for i, (commune, offset, decision) in enumerate(BIRTHS):
        name = f"DÉMO Voisins-{i + 1}"
        existing = CaseData.objects.filter(values__nom=name).select_related("case").first()
        if existing:
            continue
        case, _ = declaration_submit(
            life_event="j-attends-un-enfant",
            choices=BIRTH,
            commune=commune,
            values={"nom": name, "prenoms": "Claude (personne fictive)", "date_evenement": "2026-11-01"},
            consents=[],
        )
        at = g.starts_at + timedelta(days=offset)
        Case.objects.filter(pk=case.pk).update(created_at=at)
        task = Task.objects.filter(case=case, body__key="caf:44").first()
        if decision is None or task is None or Handover.objects.filter(task=task).exists():
            continue
        hours, accept = decision
        handover = task_hand_over(task=task, to_body=dep, reason="Suivi de la PMI après la naissance", actor=caf_agent)
        handover_decide(
            handover=handover, accept=accept, refusal_reason="" if accept else "not_competent", actor=dep_agent
        )
        sent = at + timedelta(days=1)
        Handover.objects.filter(pk=handover.pk).update(created_at=sent, decided_at=sent + timedelta(hours=hours))


def demo_gatherings() -> list[Gathering]:
    """Seed the gatherings' demo; returns the demo gatherings (past, then to come)."""
    users = get_user_model().objects
    past = _past_gathering(users)
    _months(past, users)
    upcoming = _next_gathering(users)
    interactions_sync(full=True)
    return [past, upcoming]
