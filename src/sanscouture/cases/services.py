"""Writes on shared cases. Each is one atomic action taking the acting user, writing the audit rows and the
case events in the same transaction (notifications go through the outbox of that transaction)."""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.competences.routing import Place
from sanscouture.journeys.selectors import Journey, journey_compute, journeys_batch

from . import webhook_events
from .errors import ActionRefused, HandoverAlreadyDecided, InvalidDeclaration, InvalidTransition, OpinionAlreadyGiven
from .fields import KIND_PIVOT, due_days, field_labels
from .models import (
    OPEN_TASK_STATUSES,
    AccessLog,
    Case,
    CaseData,
    CaseEvent,
    CaseStatus,
    Consent,
    Handover,
    HandoverStatus,
    Message,
    Note,
    OpinionRequest,
    OpinionStatus,
    Outcome,
    OutcomeRating,
    RefusalReason,
    Task,
    TaskStatus,
)
from .permissions import can_answer_opinion, can_ask_opinion

MAX_TEXT = 5000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(
    *,
    case: Case,
    action: str,
    fields: list[str],
    purpose: str,
    user: AbstractBaseUser | None = None,
    body: Body | None = None,
    by_person: bool = False,
) -> AccessLog:
    """One row of the access journal (call inside the transaction of the read or write it records)."""
    return AccessLog.objects.create(
        case_ref=str(case.public_id),
        action=action,
        fields=sorted(fields),
        purpose=purpose[:200],
        user=user if user and user.is_authenticated else None,
        body=body,
        by_person=by_person,
    )


def _event(case: Case, kind: str, text: str, body: Body | None = None) -> None:
    CaseEvent.objects.create(case=case, kind=kind, text=text[:500], body=body)


def _member(user: AbstractBaseUser, body: Body) -> bool:
    return user.is_authenticated and Membership.objects.filter(user=user, body=body, body__active=True).exists()


@dataclass
class PlannedTask:
    body_id: int
    pivot: str
    commune_role: str
    steps: list[str]
    duties: list[str] = field(default_factory=list)  # what the body does: competences held, else step titles


TITLE_MAX = 160


def _task_title(duties: list[str], *, fallback: str, prefix: str = "") -> str:
    """What the body does: "Listes électorales, état civil, écoles…" — so that two tasks of one case (and the
    task lists) can be told apart."""
    names = [d.strip() for d in duties if d.strip()]
    if not names:
        return fallback
    text = prefix + names[0] + "".join(", " + n[:1].lower() + n[1:] for n in names[1:])
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"


def _plan(journey: Journey, role: str) -> dict[int, PlannedTask]:
    """Group the journey's steps by the body that answers for them (offices with a known body, competences), with
    what the body does in each: the competence it holds there, else the step itself."""
    planned: dict[int, PlannedTask] = {}
    for step in journey.steps:
        duties: dict[int, list[str]] = {}
        for c in step.competent:
            for b in c.bodies:
                duties.setdefault(b.id, []).append(c.label)
        bodies = [b for o in step.offices for b in o.bodies] + [b for c in step.competent for b in c.bodies]
        if step.local_body:
            bodies.append(step.local_body)
        for body in dict.fromkeys(bodies):
            task = planned.setdefault(body.id, PlannedTask(body.id, KIND_PIVOT.get(body.kind, body.kind), role, []))
            label = f"{step.number}. {step.title}"
            if label not in task.steps:
                task.steps.append(label)
            for duty in duties.get(body.id) or [step.title]:
                if duty not in task.duties:
                    task.duties.append(duty)
    return planned


def plan_declaration(
    *, life_event: str, choices: list[str], commune: str, commune_from: str | None, today: date
) -> tuple[Journey, Place | None, dict[int, PlannedTask]]:
    """The journey of arrival, the commune left (for a move) and the task each competent body will get: read
    by the declaration form (to ask consent body by body) and by `declaration_submit`. The commune left comes
    from its own journey (the routing index: no query); what the answers select is computed once for both."""
    with journeys_batch():
        arrival = journey_compute(life_event=life_event, choices=choices, commune=commune, on=today)
        departure = (
            journey_compute(life_event=life_event, choices=choices, commune=commune_from, on=today)
            if commune_from
            else None
        )
    planned = _plan(arrival, "arrivee")
    departure_commune = None
    if departure is not None:
        departure_commune = departure.commune
        if departure_commune.insee_code == arrival.commune.insee_code:
            raise InvalidDeclaration("La commune de départ et la commune d'arrivée sont la même commune.")
        for body_id, task in _plan(departure, "depart").items():
            planned.setdefault(body_id, task)
    if not planned:
        raise InvalidDeclaration("Aucune structure compétente n'a été trouvée pour ce parcours dans cette commune.")
    return arrival, departure_commune, planned


@transaction.atomic
def declaration_submit(
    *,
    life_event: str,
    choices: list[str],
    commune: str,
    commune_from: str | None = None,
    values: dict[str, str],
    consents: list[int],
    actor: AbstractBaseUser | None = None,
    on_behalf_body: Body | None = None,
    today: date | None = None,
) -> tuple[Case, str]:
    """The person declares once: one case opens with a task for each competent body. Returns the case and the
    private link token (shown once to the person, stored hashed).

    At most 15 SQL queries whatever the number of bodies (docs/adr/025): the journey comes from what the process
    keeps of the catalogue and the routing index, and every kind of row (tasks, consents, notifications, e-mails)
    is written by one INSERT."""
    today = today or timezone.localdate()
    labels = field_labels()
    unknown = sorted(set(values) - set(labels))
    if unknown:
        raise InvalidDeclaration(f"Champs inconnus : {', '.join(unknown)}.", details={"champs": unknown})
    too_long = [k for k, v in values.items() if len(str(v)) > 500]
    if too_long:
        raise InvalidDeclaration(f"Valeurs trop longues (500 caractères au plus) : {', '.join(too_long)}.")
    if not (values.get("nom") or "").strip():
        raise InvalidDeclaration("Le nom de la personne est obligatoire.")
    if on_behalf_body is not None and (actor is None or not _member(actor, on_behalf_body)):
        raise ActionRefused("Vous ne pouvez déposer une déclaration qu'au nom d'une structure dont vous êtes agent.")
    arrival, departure_commune, planned = plan_declaration(
        life_event=life_event, choices=choices, commune=commune, commune_from=commune_from, today=today
    )
    stray = sorted(set(consents) - set(planned))
    if stray:
        raise InvalidDeclaration(
            "Le consentement ne peut porter que sur les structures qui auront une tâche.", details={"structures": stray}
        )
    token = secrets.token_urlsafe(32)
    case = Case.objects.create(
        life_event=arrival.life_event.publication_id,
        life_event_title=arrival.life_event.publication.title,
        choices=arrival.choices,
        commune_id=arrival.commune.pk,
        commune_from_id=departure_commune.pk if departure_commune else None,
        submitted_by=actor if on_behalf_body else None,
        submitted_for_body=on_behalf_body,
        person_token_hash=token_hash(token),
    )
    CaseData.objects.create(case=case, values={k: str(v).strip() for k, v in values.items() if str(v).strip()})
    Consent.objects.bulk_create([Consent(case=case, body_id=body_id) for body_id in dict.fromkeys(consents)])
    tasks = [_declared_task(case, plan, arrival, departure_commune, today) for plan in planned.values()]
    Task.objects.bulk_create(tasks)
    who = f"{on_behalf_body.name} (au guichet)" if on_behalf_body else "la personne"
    _event(
        case,
        "declaration",
        f"Déclaration « {case.life_event_title} » déposée par {who} ; {len(tasks)} structure(s) saisie(s).",
    )
    audit(
        case=case,
        action="ecriture",
        fields=list(values),
        purpose="dépôt de la déclaration",
        user=actor,
        body=on_behalf_body,
        by_person=on_behalf_body is None,
    )
    _notify_new_tasks(case, tasks)
    webhook_events.case_opened(case, tasks)
    return case, token


def _declared_task(
    case: Case, plan: PlannedTask, arrival: Journey, departure_commune: Place | None, today: date
) -> Task:
    """The task one body gets from a declaration: what it does, the steps, its due date."""
    leaving = plan.commune_role == "depart"
    title = _task_title(
        plan.duties,
        fallback=arrival.life_event.publication.title,
        prefix=f"Départ vers {arrival.commune.name} : " if leaving else "",
    )
    if leaving:
        action = (
            f"La personne quitte {departure_commune.name} : mettre à jour ou clore son dossier, et transmettre ce "  # type: ignore[union-attr]
            "qui doit l'être à la structure compétente de sa nouvelle commune."
        )
    else:
        action = "Traiter les étapes du parcours qui relèvent de votre structure : " + " ; ".join(plan.steps)
    return Task(
        case=case,
        body_id=plan.body_id,
        pivot=plan.pivot,
        title=title,
        expected_action=action,
        steps=plan.steps,
        commune_role=plan.commune_role,
        due_date=today + timedelta(days=due_days(plan.pivot)),
    )


def _notify_new_tasks(case: Case, tasks: list[Task]) -> None:
    """Each body's agents learn of their new task: one notification per body (a declaration gives a body one
    task), written in bulk. The case is new, so no earlier message of the person can hold the e-mail back: the
    window check of `from_person` would read nothing, and is not made."""
    from .notify import notify_bodies

    notify_bodies(
        bodies=[task.body_id for task in tasks],
        kind="new_task",
        case=case,
        title=f"Nouvelle tâche : {case.life_event_title}",
        text=f"Une nouvelle tâche attend votre structure dans le dossier {case.reference}.",
        dedupe_key=f"new_task:{case.public_id}",
    )


def _require_member(user: AbstractBaseUser, body: Body, what: str) -> None:
    if not _member(user, body):
        raise ActionRefused(f"Vous n'êtes pas agent de {body.name} : vous ne pouvez pas {what}.")


TRANSITIONS = {
    TaskStatus.TODO: {TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.NOT_APPLICABLE},
    TaskStatus.IN_PROGRESS: {TaskStatus.TODO, TaskStatus.DONE, TaskStatus.NOT_APPLICABLE},
    TaskStatus.DONE: {TaskStatus.IN_PROGRESS},
    TaskStatus.NOT_APPLICABLE: {TaskStatus.TODO},
}


@transaction.atomic
def task_status_set(*, task: Task, status: str, reason: str = "", actor: AbstractBaseUser) -> Task:
    """Change a task's status (« sans objet » needs a reason)."""
    task = Task.objects.select_for_update().select_related("body", "case").get(pk=task.pk)
    _require_member(actor, task.body, "changer le statut de cette tâche")
    if status not in TaskStatus.values or status not in TRANSITIONS[TaskStatus(task.status)]:
        raise InvalidTransition(f"Passage impossible de « {TaskStatus(task.status).label} » à « {status} ».")
    reason = (reason or "").strip()[:500]
    if status == TaskStatus.NOT_APPLICABLE and not reason:
        raise InvalidTransition("Indiquez pourquoi la tâche est sans objet.")
    if task.case.status != CaseStatus.OPEN:
        raise InvalidTransition("Le dossier est clos.")
    task.status, task.status_reason = status, reason
    task.save(update_fields=["status", "status_reason", "updated_at"])
    _event(
        task.case,
        "task_status",
        f"{task.body.name} : tâche « {TaskStatus(status).label} »" + (f" ({reason})" if reason else "") + ".",
        body=task.body,
    )
    webhook_events.task_changed(task)
    return task


@transaction.atomic
def task_unit_assign(*, task: Task, unit: BodyUnit | None, actor: AbstractBaseUser) -> Task:
    """Give the task to one of its body's services (or to none): the body's agents decide, like the status."""
    task = Task.objects.select_for_update().select_related("body", "case").get(pk=task.pk)
    _require_member(actor, task.body, "confier cette tâche à un service")
    if unit is not None and (unit.body_id != task.body_id or not unit.active):
        raise InvalidTransition("Choisissez un service actif de votre structure.")
    task.unit = unit
    task.save(update_fields=["unit", "updated_at"])
    return task


@transaction.atomic
def task_hand_over(
    *,
    task: Task,
    to_body: Body,
    reason: str,
    actor: AbstractBaseUser,
    steps: list[str] | None = None,
    to_unit: BodyUnit | None = None,
) -> Handover:
    """Propose the task, or some of its steps, to another body (orientation) or to another service of the same body
    (docs/adr/018); it accepts or refuses. While it waits, the task stays with its body and cannot be handed over
    again."""
    task = Task.objects.select_for_update(of=("self",)).select_related("body", "case", "unit").get(pk=task.pk)
    _require_member(actor, task.body, "orienter cette tâche")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidTransition("Indiquez le motif de l'orientation.")
    if not to_body.active:
        raise InvalidTransition("Choisissez une autre structure, active.")
    if to_unit is not None and (to_unit.body_id != to_body.pk or not to_unit.active):
        raise InvalidTransition("Ce service n'appartient pas à la structure destinataire.")
    internal = to_body.pk == task.body_id
    if internal and (to_unit is None or to_unit.pk == task.unit_id):
        raise InvalidTransition("Choisissez une autre structure, ou un autre service de votre structure.")
    if internal and steps:
        raise InvalidTransition("Entre deux services d'une même structure, c'est toute la tâche qui est orientée.")
    if task.status not in OPEN_TASK_STATUSES:
        raise InvalidTransition("Seule une tâche à faire ou en cours peut être orientée.")
    if task.handovers.filter(status=HandoverStatus.PENDING).exists():
        raise InvalidTransition("Une orientation de cette tâche attend déjà une réponse.")
    steps = list(dict.fromkeys(steps or []))
    unknown = [s for s in steps if s not in task.steps]
    if unknown:
        raise InvalidTransition("Ces étapes ne font pas partie de la tâche.", details={"etapes": unknown})
    if len(steps) == len(task.steps):
        steps = []  # every step: the whole task
    handover = Handover.objects.create(
        task=task,
        from_body=task.body,
        to_body=to_body,
        from_unit=task.unit,
        to_unit=to_unit,
        reason=reason[:1000],
        steps=steps,
        created_by=actor,
    )
    what = f"{len(steps)} étape(s) de sa tâche" if steps else "sa tâche"
    target = f"{to_unit.name} ({to_body.name})" if to_unit else to_body.name
    _event(task.case, "handover", f"{task.body.name} propose {what} à {target}.", body=task.body)
    from .notify import notify_bodies

    if not internal:  # inside one body, its agents' task list shows it: no e-mail to oneself
        notify_bodies(
            bodies=[to_body],
            kind="handover",
            case=task.case,
            title="Orientation reçue",
            text=f"{task.body.name} vous oriente {what} du dossier {task.case.reference}.",
            dedupe_key=f"handover:{handover.pk}",
        )
    webhook_events.handover_event(handover, "orientation.proposee")
    return handover


def _step_names(steps: list[str]) -> list[str]:
    return [re.sub(r"^\d+\.\s*", "", s) for s in steps]


@transaction.atomic
def handover_decide(
    *,
    handover: Handover,
    accept: bool,
    reason: str = "",
    refusal_reason: str = "",
    reason_visible_to_person: bool = False,
    actor: AbstractBaseUser,
) -> Handover:
    """The receiving body accepts — the steps handed over become its own task, the sender keeps the rest (or its
    task closes as "orientée" when it handed everything, and stays in the case) — or refuses with a structured
    reason, shown to the person only if the body says so. Exactly one decision wins when two agents act at once:
    the row is locked and re-read."""
    handover = (
        Handover.objects.select_for_update(of=("self",))  # only the hand-over: to_unit is an outer join
        .select_related("task__case", "from_body", "to_body", "to_unit")
        .get(pk=handover.pk)
    )
    _require_member(actor, handover.to_body, "répondre à cette orientation")
    if handover.status != HandoverStatus.PENDING:
        raise HandoverAlreadyDecided(f"Cette orientation a déjà été {HandoverStatus(handover.status).label.lower()}.")
    reason = (reason or "").strip()[:1000]
    if not accept:
        if refusal_reason not in RefusalReason.values:
            raise InvalidTransition("Choisissez le motif du refus.")
        if refusal_reason == RefusalReason.OTHER and not reason:
            raise InvalidTransition("Précisez le motif du refus.")
    handover.status = HandoverStatus.ACCEPTED if accept else HandoverStatus.REFUSED
    handover.decision_reason, handover.decided_by, handover.decided_at = reason, actor, timezone.now()
    handover.refusal_reason = "" if accept else refusal_reason
    handover.reason_visible_to_person = bool(reason_visible_to_person) and not accept
    handover.save(
        update_fields=[
            "status",
            "decision_reason",
            "decided_by",
            "decided_at",
            "refusal_reason",
            "reason_visible_to_person",
        ]
    )
    task = Task.objects.select_for_update().get(pk=handover.task_id)
    if accept and handover.to_body_id == handover.from_body_id:
        # Between two services of one body: the same task, now the receiving service's (docs/adr/018).
        task.unit = handover.to_unit
        task.save(update_fields=["unit", "updated_at"])
        text = f"{handover.to_unit.name} ({handover.to_body.name}) reprend la tâche."  # type: ignore[union-attr]
    elif accept:
        _hand_over_steps(handover, task)
        text = (
            f"{handover.to_body.name} reprend {'une partie de ' if handover.steps else ''}la tâche de "
            f"{handover.from_body.name}."
        )
    else:
        said = RefusalReason(refusal_reason).label + (f" : {reason}" if reason else "")
        text = f"{handover.to_body.name} ne reprend pas la tâche de {handover.from_body.name}, qui la garde" + (
            f" ({said})." if handover.reason_visible_to_person else "."
        )
    _event(task.case, "handover_decision", text, body=handover.to_body)
    from .notify import notify_bodies

    notify_bodies(
        bodies=[handover.from_body],
        kind="handover",
        case=task.case,
        title="Orientation acceptée" if accept else "Orientation refusée",
        text=f"{handover.to_body.name} a {'accepté' if accept else 'refusé'} votre orientation du dossier "
        f"{task.case.reference}.",
        dedupe_key=f"handover_decision:{handover.pk}",
    )
    webhook_events.handover_event(handover, "orientation.acceptee" if accept else "orientation.refusee")
    return handover


def _hand_over_steps(handover: Handover, task: Task) -> None:
    """The steps handed over become (or join) the receiving body's task in the case; the sender keeps the rest."""
    handed = handover.steps or list(task.steps)
    keep = [s for s in task.steps if s not in handed]
    to_body = handover.to_body
    pivot = KIND_PIVOT.get(to_body.kind, task.pivot)
    theirs = (
        Task.objects.select_for_update()
        .filter(case_id=task.case_id, body=to_body, commune_role=task.commune_role)
        .first()
    )
    if theirs is not None:
        theirs.steps = list(dict.fromkeys([*theirs.steps, *handed]))
        theirs.title = _task_title(_step_names(theirs.steps), fallback=theirs.title)
        if theirs.status not in OPEN_TASK_STATUSES:
            theirs.status, theirs.status_reason = TaskStatus.TODO, ""
        theirs.save(update_fields=["steps", "title", "status", "status_reason", "updated_at"])
    else:
        Task.objects.create(
            case_id=task.case_id,
            body=to_body,
            unit=handover.to_unit,
            pivot=pivot,
            title=_task_title(_step_names(handed), fallback=task.title),
            expected_action=f"Orientée par {handover.from_body.name} : {handover.reason}"[:2000],
            steps=handed,
            commune_role=task.commune_role,
            due_date=timezone.localdate() + timedelta(days=due_days(pivot)),
        )
    if keep:
        task.steps = keep
        task.title = _task_title(_step_names(keep), fallback=task.title)
        task.save(update_fields=["steps", "title", "updated_at"])
    else:
        task.status, task.status_reason = TaskStatus.NOT_APPLICABLE, f"Orientée vers {to_body.name}"[:500]
        task.save(update_fields=["status", "status_reason", "updated_at"])


@dataclass
class HandoverTimersReport:
    reminded: int = 0
    expired: int = 0


def handovers_remind_and_expire(
    *, remind_after_days: int, expire_after_days: int, now: datetime | None = None
) -> HandoverTimersReport:
    """Hand-overs left unanswered: remind the receiving body once after `remind_after_days`; after
    `expire_after_days` the hand-over expires and the sender, told, keeps its task. Idempotent; counts only."""
    from .notify import notify_bodies

    now = now or timezone.now()
    report = HandoverTimersReport()
    pending = Handover.objects.filter(status=HandoverStatus.PENDING).select_related(
        "task__case", "from_body", "to_body"
    )
    for h in pending.filter(created_at__lte=now - timedelta(days=expire_after_days)).order_by("pk"):
        with transaction.atomic():
            locked = Handover.objects.select_for_update().filter(pk=h.pk, status=HandoverStatus.PENDING)
            if not locked.update(status=HandoverStatus.EXPIRED, decided_at=now):
                continue  # decided meanwhile
            _event(
                h.task.case,
                "handover_decision",
                f"L'orientation vers {h.to_body.name} est restée sans réponse : {h.from_body.name} garde la tâche.",
                body=h.from_body,
            )
            notify_bodies(
                bodies=[h.from_body, h.to_body],
                kind="handover",
                case=h.task.case,
                title="Orientation expirée",
                text=f"L'orientation du dossier {h.task.case.reference} vers {h.to_body.name} a expiré sans réponse.",
                dedupe_key=f"handover_expired:{h.pk}",
            )
            report.expired += 1
    due = pending.filter(
        status=HandoverStatus.PENDING,
        reminded_at__isnull=True,
        created_at__lte=now - timedelta(days=remind_after_days),
    )
    for h in due.order_by("pk"):
        with transaction.atomic():
            if not Handover.objects.filter(pk=h.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            notify_bodies(
                bodies=[h.to_body],
                kind="handover",
                case=h.task.case,
                title="Orientation en attente de votre réponse",
                text=f"{h.from_body.name} attend votre réponse à l'orientation du dossier {h.task.case.reference}.",
                dedupe_key=f"handover_reminder:{h.pk}",
            )
            report.reminded += 1
    return report


OPINION_MAX = 2000


@transaction.atomic
def opinion_ask(
    *, task: Task, to_body: Body, question: str, actor: AbstractBaseUser, to_unit: BodyUnit | None = None
) -> OpinionRequest:
    """Ask another body (or one of its services) for an opinion on a task without handing it over (docs/adr/017):
    the task stays with its body; the asked body is notified and sees the question and the case's tasks, not the
    person's data (its own consent and open tasks decide that, as for a hand-over)."""
    task = Task.objects.select_related("body", "case", "unit").get(pk=task.pk)
    if not can_ask_opinion(actor, task):
        raise ActionRefused("Seul un agent de la structure qui traite cette tâche ouverte peut demander un avis.")
    question = (question or "").strip()
    if not question or len(question) > OPINION_MAX:
        raise InvalidTransition(f"Une question contient de 1 à {OPINION_MAX} caractères.")
    if not to_body.active or to_body.pk == task.body_id:
        raise InvalidTransition("Choisissez une autre structure, active.")
    if to_unit is not None and (to_unit.body_id != to_body.pk or not to_unit.active):
        raise InvalidTransition("Ce service n'appartient pas à la structure sollicitée.")
    opinion = OpinionRequest.objects.create(
        task=task,
        from_body=task.body,
        from_unit=task.unit,
        to_body=to_body,
        to_unit=to_unit,
        question=question,
        asked_by=actor,
    )
    target = f"{to_unit.name} ({to_body.name})" if to_unit else to_body.name
    _event(task.case, "opinion", f"{task.body.name} demande l'avis de {target}.", body=task.body)
    from .notify import notify_bodies

    notify_bodies(
        bodies=[to_body],
        kind="opinion",
        case=task.case,
        title="Demande d'avis",
        text=f"{task.body.name} demande votre avis sur le dossier {task.case.reference}.",
        dedupe_key=f"opinion:{opinion.pk}",
    )
    return opinion


@transaction.atomic
def opinion_answer(*, opinion: OpinionRequest, answer: str, actor: AbstractBaseUser) -> OpinionRequest:
    """The asked body gives its opinion, once; the asking body is notified. Two agents at once: one wins (409)."""
    opinion = (
        OpinionRequest.objects.select_for_update(of=("self",))
        .select_related("task__case", "from_body", "to_body")
        .get(pk=opinion.pk)
    )
    if not can_answer_opinion(actor, opinion):
        raise ActionRefused("Seul un agent de la structure sollicitée peut donner cet avis.")
    if opinion.status != OpinionStatus.ASKED:
        raise OpinionAlreadyGiven("Cet avis a déjà été donné.")
    answer = (answer or "").strip()
    if not answer or len(answer) > OPINION_MAX:
        raise InvalidTransition(f"Un avis contient de 1 à {OPINION_MAX} caractères.")
    opinion.status, opinion.answer = OpinionStatus.GIVEN, answer
    opinion.answered_by, opinion.answered_at = actor, timezone.now()
    opinion.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    case = opinion.task.case
    _event(
        case,
        "opinion_given",
        f"{opinion.to_body.name} a donné son avis à {opinion.from_body.name}.",
        body=opinion.to_body,
    )
    from .notify import notify_bodies

    notify_bodies(
        bodies=[opinion.from_body],
        kind="opinion",
        case=case,
        title="Avis reçu",
        text=f"{opinion.to_body.name} a donné son avis sur le dossier {case.reference}.",
        dedupe_key=f"opinion_given:{opinion.pk}",
    )
    return opinion


@transaction.atomic
def message_send(
    *, case: Case, text: str, actor: AbstractBaseUser | None = None, body: Body | None = None, from_person: bool = False
) -> Message:
    """A message to the person from a body of the case, or from the person to the bodies of the case."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidTransition(f"Un message contient de 1 à {MAX_TEXT} caractères.")
    if not from_person:
        if body is None or actor is None or not case.tasks.filter(body=body).exists():
            raise ActionRefused("Seule une structure du dossier peut écrire à la personne.")
        _require_member(actor, body, "écrire au nom de cette structure")
    message = Message.objects.create(
        case=case, body=None if from_person else body, author=actor, text=text, from_person=from_person
    )
    _event(
        case,
        "message",
        "La personne a écrit un message." if from_person else f"{body.name} a écrit à la personne.",  # type: ignore[union-attr]
        body=None if from_person else body,
    )
    from .notify import notify_bodies

    bodies = list({t.body for t in case.tasks.select_related("body")} - ({body} if body else set()))
    notify_bodies(
        bodies=bodies,
        kind="message",
        case=case,
        title="Nouveau message",
        text=f"Nouveau message dans le dossier {case.reference}.",
        dedupe_key=f"message:{message.pk}",
        from_person=from_person,
    )
    webhook_events.message_posted(message)
    return message


@transaction.atomic
def note_add(*, case: Case, body: Body, text: str, actor: AbstractBaseUser) -> Note:
    """An internal note, seen only by the agents of `body`."""
    _require_member(actor, body, "écrire une note interne pour cette structure")
    if not case.tasks.filter(body=body).exists():
        raise ActionRefused("Votre structure n'a pas de tâche dans ce dossier.")
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidTransition(f"Une note contient de 1 à {MAX_TEXT} caractères.")
    return Note.objects.create(case=case, body=body, author=actor, text=text)


@transaction.atomic
def consent_withdraw(*, case: Case, body: Body) -> Consent | None:
    """The person withdraws consent from a body: its access to the data ends at once; its work stays."""
    consent = Consent.objects.select_for_update().filter(case=case, body=body, withdrawn_at__isnull=True).first()
    if consent is None:
        return None
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    _event(case, "consent", f"La personne a retiré son consentement à {body.name}.", body=body)
    audit(
        case=case,
        action="ecriture",
        fields=[],
        purpose=f"retrait du consentement à {body.name}",
        by_person=True,
        body=body,
    )
    return consent


@transaction.atomic
def consent_give(*, case: Case, body: Body) -> Consent:
    """The person (re)gives consent to a body of the case."""
    if not case.tasks.filter(body=body).exists():
        raise ActionRefused("Cette structure n'a pas de tâche dans le dossier.")
    consent, _ = Consent.objects.get_or_create(case=case, body=body)
    if consent.withdrawn_at:
        consent.withdrawn_at = None
        consent.save(update_fields=["withdrawn_at"])
    _event(case, "consent", f"La personne a donné son consentement à {body.name}.", body=body)
    return consent


@transaction.atomic
def case_close(*, case: Case, actor: AbstractBaseUser | None = None) -> Case:
    """Close a case once no task is open (by the person, or automatically when the last task ends)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.tasks.filter(status__in=OPEN_TASK_STATUSES).exists():
        raise InvalidTransition("Des tâches sont encore ouvertes.")
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at"])
    _event(case, "closed", "Le dossier est clos.")
    return case


@transaction.atomic
def cases_purge(*, older_than_days: int, now: Any = None) -> int:
    """Erase the personal data of cases closed more than `older_than_days` ago (tasks and events stay)."""
    now = now or timezone.now()
    due = Case.objects.select_for_update().filter(
        status=CaseStatus.CLOSED, purged_at__isnull=True, closed_at__lt=now - timedelta(days=older_than_days)
    )
    count = 0
    for case in due:
        CaseData.objects.filter(case=case).update(values={})
        Message.objects.filter(case=case).update(text="(message effacé : durée de conservation écoulée)")
        Note.objects.filter(case=case).update(text="(note effacée : durée de conservation écoulée)")
        Outcome.objects.filter(case=case).update(sentence="")
        case.purged_at = now
        case.save(update_fields=["purged_at"])
        audit(case=case, action="ecriture", fields=[], purpose="purge : durée de conservation écoulée")
        count += 1
    return count


# --- Due-date reminders and the access journal's retention (run daily by the worker: cases/jobs.py) ---


@dataclass
class DueSoonReport:
    tasks: int = 0
    notifications: int = 0


def tasks_notify_due_soon(*, days: int, today: date | None = None) -> DueSoonReport:
    """Tell the agents of each body about its open tasks due between `today` and `today + days` (inclusive).

    Once per task and due date, however often it runs (the dedupe key names both: a new due date, e.g. after a
    hand-over, notifies again). Each task is notified in its own transaction. Counts only, no personal data."""
    from sanscouture.notifications.models import Notification, NotificationKind

    from .notify import notify_bodies

    today = today or timezone.localdate()
    due = (
        Task.objects.open()
        .filter(
            case__status=CaseStatus.OPEN,
            case__purged_at__isnull=True,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=days),
        )
        .select_related("case", "body")
        .order_by("due_date", "pk")
    )
    before = Notification.objects.filter(kind=NotificationKind.DUE_SOON).count()
    report = DueSoonReport()
    for task in due:
        case = task.case
        with transaction.atomic():
            notify_bodies(
                bodies=[task.body],
                kind=NotificationKind.DUE_SOON,
                case=case,
                title=f"Échéance le {task.due_date:%d/%m/%Y} : {case.life_event_title}"[:200],
                text=f"La tâche « {task.title} » du dossier {case.reference} arrive à échéance le "
                f"{task.due_date:%d/%m/%Y}.",
                dedupe_key=f"due_soon:{task.pk}:{task.due_date.isoformat()}",
            )
        report.tasks += 1
    report.notifications = Notification.objects.filter(kind=NotificationKind.DUE_SOON).count() - before
    return report


ACCESS_LOG_MIN_DAYS = 180  # the CNIL's lower bound for access logs: below it, a typo would erase the evidence
_ACCESS_LOG_TABLE = "cases_accesslog"
_SQLITE_NO_DELETE = (
    f"CREATE TRIGGER {_ACCESS_LOG_TABLE}_no_delete BEFORE DELETE ON {_ACCESS_LOG_TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'journal des accès : ajout seulement (DELETE)'); END;"
)  # the same statement as migration 0002


def idempotency_keys_purge(*, older_than_hours: int = 24, now: Any = None) -> int:
    """Forget stored creation replies (they hold the follow-up link of a declaration) after a day: a client
    retries within minutes, never a day later."""
    from .models import IdempotencyKey

    cutoff = (now or timezone.now()) - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def access_log_purge(*, older_than_days: int, now: Any = None) -> int:
    """Delete the access journal's rows written more than `older_than_days` ago; returns how many.

    The journal is append-only by a database trigger (migration 0002), which stays: this is the one path that
    deletes, inside one transaction that lifts the DELETE guard, deletes the old rows only and restores it.
    On PostgreSQL `ALTER TABLE … DISABLE TRIGGER` locks the table until the commit, so no other transaction
    writes or deletes meanwhile; on SQLite the DDL is transactional and writers are serialised. A failure rolls
    the whole back, trigger included. UPDATE stays refused throughout on SQLite (its own trigger)."""
    from django.db import connection

    if older_than_days < ACCESS_LOG_MIN_DAYS:
        raise ValueError(f"Le journal des accès est conservé au moins {ACCESS_LOG_MIN_DAYS} jours.")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    old = AccessLog.objects.filter(at__lt=cutoff)
    if not old.exists():
        return 0
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # ALTER TABLE refuses pending deferred checks (rows inserted earlier in an enclosing transaction).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {_ACCESS_LOG_TABLE} DISABLE TRIGGER {_ACCESS_LOG_TABLE}_append_only")
        elif vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {_ACCESS_LOG_TABLE}_no_delete")
        deleted, _ = old.delete()  # no relation points at the journal: one DELETE statement
        if vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {_ACCESS_LOG_TABLE} ENABLE TRIGGER {_ACCESS_LOG_TABLE}_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to Django's deferred foreign keys
        elif vendor == "sqlite":
            cursor.execute(_SQLITE_NO_DELETE)
    return deleted


@transaction.atomic
def case_outcome_give(*, case: Case, rating: str, sentence: str = "") -> Outcome:
    """The person says, once every task is over, whether the whole thing worked for them (and one sentence)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if rating not in OutcomeRating.values:
        raise InvalidTransition("Choisissez une réponse.")
    if case.tasks.open().exists():
        raise InvalidTransition("Vous pourrez donner votre avis quand toutes les structures auront terminé.")
    if Outcome.objects.filter(case=case).exists():
        raise InvalidTransition("Vous avez déjà donné votre avis sur ce dossier : merci.")
    outcome = Outcome.objects.create(case=case, rating=rating, sentence=(sentence or "").strip()[:500])
    _event(case, "outcome", "La personne a dit si la démarche a fonctionné pour elle.")
    return outcome
