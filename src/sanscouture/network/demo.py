"""Demo data of the acteur-réseau (clearly fictitious people, real bodies and communes of the referential): the
services of the demo Départements and of the CAF de l'Hérault, births declared in the communes of the Grand Pic
Saint-Loup over the last months, the CAF's hand-overs to the Département (accepted after a delay, or refused), one
hand-over between two services of the Département, one rating; then the ledger is read.

Called by `sanscouture demo` (web layer) after the cases' demo. Idempotent: a second run creates nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body, BodyUnit, UnitKind
from sanscouture.cases.models import Case, CaseData, Handover, Task
from sanscouture.cases.services import declaration_submit, handover_decide, task_hand_over, task_unit_assign
from sanscouture.territories.models import Commune, CommuneKind

from .models import TieRating
from .services import interactions_sync, tie_rate

PIC_SAINT_LOUP = "200022986"
BIRTH = [
    "avez-vous-un-autre-enfant-a-charge-non",
    "avez-vous-un-emploi-oui",
    "etes-vous-locataire-d-un-logement-social-hlm-non",
]
# body key → [(direction, [services])]: real-looking organisations (names of the usual directions of a département).
UNITS = {
    "departement:34": [
        (
            "Direction des solidarités",
            ["Protection maternelle et infantile", "Insertion et RSA", "Aide sociale à l'enfance"],
        ),
        ("Direction des routes", ["Agence routière du Pic Saint-Loup"]),
        ("Direction de l'éducation et des collèges", []),
    ],
    "departement:44": [("Direction des solidarités", ["Protection maternelle et infantile", "Insertion"])],
    "caf:34": [("Direction des prestations", ["Prestations familiales"]), ("Action sociale", [])],
}
# Agents' services: username → service names.
PLACES = {
    "demo-departement-34": ["Insertion et RSA"],
    "demo-departement-34-agent": ["Protection maternelle et infantile"],
    "demo-caf-34-agent": ["Prestations familiales"],
}
BIRTHS = 9
# Hand-overs CAF → Département for the first births: (hours until the decision, accepted?, refusal reason code).
DECISIONS = [
    (4, True, ""),
    (20, True, ""),
    (30, True, ""),
    (52, True, ""),
    (6, False, "not_competent"),
    (70, False, "already_handled"),
]


def _units() -> None:
    for key, directions in UNITS.items():
        body = Body.objects.get(key=key)
        for direction, services in directions:
            parent, _ = BodyUnit.objects.get_or_create(body=body, name=direction, defaults={"kind": UnitKind.DIRECTION})
            for name in services:
                BodyUnit.objects.get_or_create(body=body, name=name, defaults={"parent": parent})
    users = get_user_model().objects
    for username, names in PLACES.items():
        user = users.filter(username=username).first()
        if user is None:
            continue
        for membership in Membership.objects.filter(user=user):
            membership.units.add(*BodyUnit.objects.filter(body=membership.body, name__in=names))


def _births() -> list[Case]:
    """Births declared in communes of the CC du Grand Pic Saint-Loup (the first ones by INSEE code), spread over the
    last months."""
    communes = list(
        Commune.objects.filter(epci_id=PIC_SAINT_LOUP, kind=CommuneKind.CURRENT).order_by("insee_code")[:BIRTHS]
    )
    now = timezone.now()
    out = []
    for i, commune in enumerate(communes):
        name = f"DÉMO Réseau-{i + 1}"
        existing = CaseData.objects.filter(values__nom=name).select_related("case").first()
        if existing:
            out.append(existing.case)
            continue
        case, _ = declaration_submit(
            life_event="j-attends-un-enfant",
            choices=BIRTH,
            commune=commune.insee_code,
            values={"nom": name, "prenoms": "Dominique (personne fictive)", "date_evenement": "2026-10-01"},
            consents=[],
        )
        Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=20 * (BIRTHS - i)))
        case.refresh_from_db()
        out.append(case)
    return out


def _handovers(cases: list[Case]) -> None:
    users = get_user_model().objects
    caf_agent, dep_agent = users.get(username="demo-caf-34-agent"), users.get(username="demo-departement-34-agent")
    dep = Body.objects.get(key="departement:34")
    pmi = BodyUnit.objects.get(body=dep, name="Protection maternelle et infantile")
    insertion = BodyUnit.objects.get(body=dep, name="Insertion et RSA")
    internal_done = Handover.objects.filter(from_body=dep, to_body=dep).exists()
    for case, (hours, accept, why) in zip(cases, DECISIONS, strict=False):
        task = Task.objects.filter(case=case, body__key="caf:34").first()
        if task is None or Handover.objects.filter(task=task).exists():
            continue
        handover = task_hand_over(
            task=task, to_body=dep, to_unit=pmi, reason="Suivi de la PMI après la naissance", actor=caf_agent
        )
        handover_decide(handover=handover, accept=accept, refusal_reason=why, actor=dep_agent)
        sent = case.created_at + timedelta(days=1)
        Handover.objects.filter(pk=handover.pk).update(created_at=sent, decided_at=sent + timedelta(hours=hours))
        if accept and not internal_done:
            # The PMI passes the Département's task of this case on to its insertion service, which accepts.
            ours = Task.objects.filter(case=case, body=dep, status__in=("todo", "in_progress")).first()
            if ours is None:
                continue
            task_unit_assign(task=ours, unit=pmi, actor=dep_agent)
            inner = task_hand_over(
                task=ours, to_body=dep, to_unit=insertion, reason="Accompagnement RSA du foyer", actor=dep_agent
            )
            handover_decide(handover=inner, accept=True, actor=users.get(username="demo-departement-34"))
            later = sent + timedelta(hours=hours + 24)
            Handover.objects.filter(pk=inner.pk).update(created_at=later, decided_at=later + timedelta(hours=3))
            internal_done = True


def _childcare(cases: list[Case]) -> None:
    """For the latest births, the CAF asks the mairie of a neighbouring commune of the Grand Pic Saint-Loup (the next
    one by INSEE code, outside the births) for a place in its crèche; the requests wait for an answer. The CAF is
    then the one link between that mairie and every body of the births: the broker of the Hérault's network."""
    communes = Commune.objects.filter(epci_id=PIC_SAINT_LOUP, kind=CommuneKind.CURRENT).order_by("insee_code")
    neighbour = communes[BIRTHS : BIRTHS + 1].first()
    mairie = Body.objects.filter(key=f"mairie:{neighbour.insee_code}").first() if neighbour else None
    if mairie is None:
        return
    caf_agent = get_user_model().objects.get(username="demo-caf-34-agent")
    for case in cases[len(DECISIONS) :]:
        task = Task.objects.filter(case=case, body__key="caf:34").first()
        if task is None or Handover.objects.filter(task=task).exists():
            continue
        handover = task_hand_over(
            task=task, to_body=mairie, reason="Demande de place en crèche municipale", actor=caf_agent
        )
        Handover.objects.filter(pk=handover.pk).update(created_at=case.created_at + timedelta(days=2))


def _rating() -> None:
    """The CAF rates its tie with the Département once (the Département's own rating is left to the demo user)."""
    caf, dep = Body.objects.get(key="caf:34"), Body.objects.get(key="departement:34")
    if TieRating.objects.filter(rater_body=caf, rated_body=dep).exists():
        return
    handover = Handover.objects.filter(from_body=caf, to_body=dep).exclude(status="pending").first()
    if handover is None:
        return
    scores = {"alignement": 3, "ouverture": 3, "fiabilite": 2, "ressources": 3, "influence": 4, "engagement": 3}
    tie_rate(handover=handover, actor=get_user_model().objects.get(username="demo-caf-34-agent"), scores=scores)


def demo_network() -> int:
    """Seed the network's demo activity; returns the number of interactions the ledger added."""
    _units()
    births = _births()
    _handovers(births)
    _childcare(births)
    _rating()
    return interactions_sync(full=True)
