"""Demo data of « vis mon job » (clearly fictitious people, real bodies): agents who opt in; at the mairie de
Savenay, two services (created if missing) whose hand-overs are slow or refused, the internal pair suggested between
them and completed (three months ago, with both feedbacks); in the Hérault, the pair between an agent of the CAF and
one of the Département suggested with its reasons, accepted by both and approved by both administrators (dates left
to set). Idempotent. Called by `sanscouture demo` after the network's demo (the ledger must be read first)."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body, BodyUnit, UnitKind
from sanscouture.cases.demo import DemoLogin, demo_agent
from sanscouture.cases.models import CaseData, Handover, Task
from sanscouture.cases.services import declaration_submit, handover_decide, task_hand_over, task_unit_assign
from sanscouture.network.models import Interaction
from sanscouture.network.services import interactions_sync

from .models import Pair, PairStatus, Profile
from .selectors import suggestions_for_body
from .services import (
    pair_accept,
    pair_approve,
    pair_complete,
    pair_feedback,
    pair_propose,
    pair_schedule,
    profile_save,
)

SAVENAY = "mairie:44195"
ACCUEIL, ETAT_CIVIL = "Accueil – France Services", "État civil et élections"
NEW_AGENT = ("demo-savenay-etat-civil", SAVENAY, Role.AGENT, "état civil de la mairie de Savenay")
PROFILES = {
    "demo-guichet-savenay": (SAVENAY, "Agent d'accueil France Services", "L'accueil et l'aide aux démarches", ACCUEIL),
    "demo-savenay-etat-civil": (
        SAVENAY,
        "Officière d'état civil",
        "Les actes, les mariages, les élections",
        ETAT_CIVIL,
    ),
    "demo-caf-34-agent": ("caf:34", "Gestionnaire conseil", "L'instruction des prestations familiales", None),
    "demo-departement-34-agent": (
        "departement:34",
        "Puéricultrice de PMI",
        "Une consultation de PMI et une visite à domicile",
        "Protection maternelle et infantile",
    ),
}
BIRTH = [
    "avez-vous-un-autre-enfant-a-charge-non",
    "avez-vous-un-emploi-oui",
    "etes-vous-locataire-d-un-logement-social-hlm-non",
]
# Hand-overs from the accueil to the état civil of Savenay: (hours until the decision, accepted?).
HANDOVERS = [(60, False), (50, True), (30, True)]


@dataclass
class DemoShadowing:
    savenay_pair: Pair | None
    herault_pair: Pair | None
    logins: list[DemoLogin]


def _savenay_units() -> tuple[BodyUnit, BodyUnit]:
    body = Body.objects.get(key=SAVENAY)
    accueil, _ = BodyUnit.objects.get_or_create(body=body, name=ACCUEIL, defaults={"kind": UnitKind.SERVICE})
    etat_civil, _ = BodyUnit.objects.get_or_create(body=body, name=ETAT_CIVIL, defaults={"kind": UnitKind.SERVICE})
    return accueil, etat_civil


def _profiles() -> None:
    users = get_user_model().objects
    for username, (key, job, show, unit_name) in PROFILES.items():
        user = users.filter(username=username).first()
        if user is None:
            continue
        body = Body.objects.get(key=key)
        units = list(BodyUnit.objects.filter(body=body, name=unit_name)) if unit_name else []
        membership = Membership.objects.filter(user=user, body=body).first()
        if membership is not None and units:
            membership.units.add(*units)
        if not Profile.objects.filter(user=user, body=body).exists():
            profile_save(
                user=user,
                body=body,
                job=job,
                can_show=show,
                wants_to_discover="Le métier de nos partenaires de tous les jours",
                availability="Les mardis et jeudis",
                units=units,
            )


def _savenay_handovers(accueil: BodyUnit, etat_civil: BodyUnit) -> None:
    """Births declared at Savenay: the accueil passes the mairie's task to the état civil, slowly accepted or
    refused — the weak tie between two interdependent services."""
    users = get_user_model().objects
    guichet, officer = users.get(username="demo-guichet-savenay"), users.get(username="demo-savenay-etat-civil")
    now = timezone.now()
    for i, (hours, accept) in enumerate(HANDOVERS):
        name = f"DÉMO Vis-mon-job-{i + 1}"
        existing = CaseData.objects.filter(values__nom=name).select_related("case").first()
        if existing:
            continue
        case, _ = declaration_submit(
            life_event="j-attends-un-enfant",
            choices=BIRTH,
            commune="44195",
            values={"nom": name, "prenoms": "Claude (personne fictive)", "date_evenement": "2026-10-01"},
            consents=[],
        )
        task = Task.objects.filter(case=case, body__key=SAVENAY).first()
        if task is None:
            continue
        task_unit_assign(task=task, unit=accueil, actor=guichet)
        handover = task_hand_over(
            task=task, to_body=task.body, to_unit=etat_civil, reason="Acte de naissance", actor=guichet
        )
        handover_decide(
            handover=handover, accept=accept, refusal_reason="" if accept else "not_competent", actor=officer
        )
        sent = now - timedelta(days=150 - 20 * i)
        Handover.objects.filter(pk=handover.pk).update(created_at=sent, decided_at=sent + timedelta(hours=hours))


def _pair_from_suggestion(body: Body, proposer: str, partner: str, internal: bool) -> Pair | None:
    """Propose the pair the suggestions name, with their reasons (once)."""
    users = get_user_model().objects
    a, b = users.get(username=proposer), users.get(username=partner)
    existing = Pair.objects.filter(a_user=a, b_user=b).first()
    if existing:
        return existing
    partner_profile = Profile.objects.filter(user=b).select_related("body").first()
    if partner_profile is None:
        return None
    suggestion = next(
        (
            s
            for s in suggestions_for_body(body=body, today=timezone.localdate())
            if s.internal == internal and (internal or s.other_body.pk == partner_profile.body_id)
        ),
        None,
    )
    if suggestion is None:
        return None
    return pair_propose(actor=a, body=body, partner=partner_profile, reasons=suggestion.reasons)


def demo_shadowing(*, common_password: str | None) -> DemoShadowing:
    """Seed « vis mon job »'s demo; returns the two pairs and the new agent's login."""
    username, key, role, label = NEW_AGENT
    login = demo_agent(username=username, key=key, role=role, label=label, common_password=common_password)
    accueil, etat_civil = _savenay_units()
    _profiles()
    _savenay_handovers(accueil, etat_civil)
    interactions_sync(full=True)
    users = get_user_model().objects
    savenay = _pair_from_suggestion(
        Body.objects.get(key=SAVENAY), "demo-guichet-savenay", "demo-savenay-etat-civil", True
    )
    if savenay is not None and savenay.status == PairStatus.PROPOSED:
        pair_accept(pair=savenay, actor=users.get(username="demo-savenay-etat-civil"))
        pair_approve(pair=savenay, actor=users.get(username="demo-mairie-savenay"))
        today = timezone.localdate()
        pair_schedule(
            pair=savenay,
            actor=users.get(username="demo-guichet-savenay"),
            start=today,
            end=today,
            place="Mairie de Savenay",
        )
        pair_complete(pair=savenay, actor=users.get(username="demo-savenay-etat-civil"), today=today)
        pair_feedback(
            pair=savenay,
            actor=users.get(username="demo-guichet-savenay"),
            text="J'explique mieux aux usagers ce que l'état civil attend d'eux.",
            usefulness=4,
        )
        pair_feedback(
            pair=savenay,
            actor=users.get(username="demo-savenay-etat-civil"),
            text="J'ai vu tout ce que l'accueil règle avant de nous transmettre.",
            usefulness=3,
        )
        # The demo's simulated months: the immersion took place three months ago.
        day = today - timedelta(days=90)
        Pair.objects.filter(pk=savenay.pk).update(start=day, end=day, done_at=timezone.now() - timedelta(days=90))
        Interaction.objects.filter(source=f"shadowing:{savenay.pk}").update(
            day=day, at=timezone.now() - timedelta(days=90)
        )
        savenay.refresh_from_db()
    herault = _pair_from_suggestion(
        Body.objects.get(key="caf:34"), "demo-caf-34-agent", "demo-departement-34-agent", False
    )
    if herault is not None and herault.status == PairStatus.PROPOSED:
        pair_accept(pair=herault, actor=users.get(username="demo-departement-34-agent"))
        pair_approve(pair=herault, actor=users.get(username="demo-caf-34"))
        pair_approve(pair=herault, actor=users.get(username="demo-departement-34"))
        herault.refresh_from_db()
    return DemoShadowing(savenay, herault, [login])
