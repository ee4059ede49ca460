"""Reads of shared cases for screens and API. Every read of personal data writes one audit row."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body
from sanscouture.competences.routing import route_pivot
from sanscouture.errors import DomainError

from .errors import ActionRefused, CaseNotFound
from .fields import field_labels, needs
from .models import (
    OPEN_TASK_STATUSES,
    AccessLog,
    Case,
    CaseEvent,
    Consent,
    Handover,
    HandoverStatus,
    Message,
    Note,
    OpinionRequest,
    Outcome,
    Task,
)
from .services import audit, plan_declaration, token_hash


@dataclass
class PlannedBody:
    """A body that will get a task from a declaration, and the fields it will see if the person consents."""

    body: Body
    commune_role: str
    steps: list[str]
    fields: list[tuple[str, str]]  # (field, label)


def declaration_bodies(
    *, life_event: str, choices: list[str], commune: str, commune_from: str | None = None, today: date | None = None
) -> list[PlannedBody]:
    """Who will receive a task if the person declares now, in the order of the form (arrival first)."""
    _, _, planned = plan_declaration(
        life_event=life_event,
        choices=choices,
        commune=commune,
        commune_from=commune_from,
        today=today or timezone.localdate(),
    )
    bodies = Body.objects.in_bulk(list(planned))
    labels = field_labels()
    found = [
        PlannedBody(
            body=bodies[pk], commune_role=p.commune_role, steps=p.steps, fields=[(f, labels[f]) for f in needs(p.pivot)]
        )
        for pk, p in planned.items()
    ]
    return sorted(found, key=lambda p: (p.commune_role != "arrivee", p.body.name))


def agent_bodies(user: AbstractBaseUser) -> list[Body]:
    if not user.is_authenticated:
        return []
    return list(Body.objects.filter(memberships__user=user, active=True).order_by("name"))


def tasks_for(
    *,
    user: AbstractBaseUser,
    status: str | None = None,
    due_before: date | None = None,
    life_event: str | None = None,
    commune: str | None = None,
) -> QuerySet[Task]:
    """The task list of the user's bodies, with filters (no personal data in it)."""
    qs = Task.objects.for_user(user).select_related("case", "case__commune", "case__commune_from", "body")
    if status:
        qs = qs.filter(status=status)
    if due_before:
        qs = qs.filter(due_date__lte=due_before)
    if life_event:
        qs = qs.filter(case__life_event=life_event)
    if commune:
        qs = qs.filter(case__commune__insee_code=commune)
    return qs.order_by("due_date", "pk")


def consent_stands(case: Case, body: Body) -> bool:
    return Consent.objects.filter(case=case, body=body, withdrawn_at__isnull=True).exists()


def visible_fields(
    case: Case, body: Body, *, tasks: list[Task] | None = None, consent: bool | None = None
) -> tuple[str, ...]:
    """The fields `body` may see now: those its open tasks need, while the person's consent to it stands
    (`tasks`, `consent`: what the caller has read already)."""
    if not (consent_stands(case, body) if consent is None else consent):
        return ()
    if tasks is None:
        pivots = case.tasks.filter(body=body, status__in=OPEN_TASK_STATUSES).values_list("pivot", flat=True)
    else:
        mine = sorted((t for t in tasks if t.body_id == body.pk), key=lambda t: (t.due_date, t.pk))
        pivots = [t.pivot for t in mine if t.status in OPEN_TASK_STATUSES]
    return tuple(dict.fromkeys(f for p in pivots for f in needs(p)))


@dataclass
class AgentCaseView:
    case: Case
    body: Body
    tasks: list[Task]
    my_tasks: list[Task]
    data: dict[str, tuple[str, str]]  # field → (label, value)
    consent: bool
    messages: list[Message]
    notes: list[Note]
    events: list[CaseEvent]
    handovers_to_me: list[Handover]
    bodies: list[Body] = field(default_factory=list)
    outcome: Outcome | None = None  # the person's word once every task is over, read by every body of the case
    # Opinions this body asked or was asked on the case: question and answer are read by those two bodies only;
    # the other bodies read the case events ("X demande l'avis de Y").
    opinions: list[OpinionRequest] = field(default_factory=list)


def case_get_for_agent(*, user: AbstractBaseUser, public_id: str) -> Case:
    """The case if one of the user's bodies has a task in it; otherwise the case does not exist (404)."""
    if not user.is_authenticated:
        raise CaseNotFound("Dossier introuvable.")
    # Checked on this one case (correlated EXISTS): `pk IN (every case the user sees)` made the engine build the
    # set of all the body's cases on each page (2 s at a million cases, benchmarks/bench_scale.py).
    scope = Case.objects.filter(
        Exists(Task.objects.filter(case=OuterRef("pk"), body__memberships__user=user))
        # A body to which a task is being handed over sees the case to decide (but none of its data: no task yet).
        | Exists(
            Handover.objects.filter(
                task__case=OuterRef("pk"), status=HandoverStatus.PENDING, to_body__memberships__user=user
            )
        )
        # A body asked for an opinion sees the case to answer (its data only as its own consent allows).
        | Exists(OpinionRequest.objects.filter(task__case=OuterRef("pk"), to_body__memberships__user=user))
    )
    try:
        return scope.select_related("commune", "commune_from").get(public_id=public_id)
    except (Case.DoesNotExist, ValueError, TypeError, ValidationError):
        raise CaseNotFound("Dossier introuvable.") from None


def _tasks_with_pending(case: Case) -> list[Task]:
    """The case's tasks, each with `pending_handover` (the orientation waiting for an answer, or None): the case
    page, the person's page and the task table show who handles what now and what is being handed over."""
    tasks = list(case.tasks.select_related("body").order_by("commune_role", "body__name"))
    pending = {
        h.task_id: h
        for h in Handover.objects.filter(task__case=case, status=HandoverStatus.PENDING).select_related(
            "to_body", "from_body"
        )
    }
    for t in tasks:
        t.pending_handover = pending.get(t.pk)  # type: ignore[attr-defined]
        if t.pending_handover:
            t.pending_handover.task = t  # type: ignore[attr-defined]
    return tasks


@transaction.atomic
def case_view_for_agent(*, user: AbstractBaseUser, public_id: str, body: Body | None = None) -> AgentCaseView:
    """The whole case as one body sees it: every task of every body, its own notes, and only the fields its
    open tasks need. Writes the audit row of the read."""
    case = case_get_for_agent(user=user, public_id=public_id)
    tasks = _tasks_with_pending(case)
    mine = agent_bodies(user)
    in_case = [b for b in mine if any(t.body_id == b.pk for t in tasks)]
    pending_for = {t.pending_handover.to_body_id for t in tasks if t.pending_handover}  # type: ignore[attr-defined]
    in_case += [b for b in mine if b.pk in pending_for and b not in in_case]
    asked = set(OpinionRequest.objects.filter(task__case=case).values_list("to_body_id", flat=True))
    in_case += [b for b in mine if b.pk in asked and b not in in_case]
    if not in_case:  # memberships of deactivated bodies only
        raise CaseNotFound("Dossier introuvable.")
    if body is None or body not in in_case:
        body = in_case[0]
    consent = consent_stands(case, body)
    shown = visible_fields(case, body, tasks=tasks, consent=consent)
    labels = field_labels()
    values = case.data.values if not case.purged_at else {}
    data = {f: (labels[f], values[f]) for f in shown if f in values}
    audit(case=case, action="lecture", fields=list(data), purpose="consultation du dossier", user=user, body=body)
    return AgentCaseView(
        case=case,
        body=body,
        tasks=tasks,
        my_tasks=[t for t in tasks if t.body_id == body.pk],
        data=data,
        consent=consent,
        messages=list(case.messages.select_related("body")),
        notes=list(case.notes.filter(body=body).select_related("author")),
        events=list(case.events.select_related("body")),
        # The pending hand-overs were read with the tasks (at most one per task).
        handovers_to_me=sorted(
            (t.pending_handover for t in tasks if t.pending_handover and t.pending_handover.to_body_id == body.pk),  # type: ignore[attr-defined]
            key=lambda h: (h.created_at, h.pk),
            reverse=True,
        ),
        bodies=in_case,
        outcome=_outcome(case),
        opinions=list(
            OpinionRequest.objects.filter(Q(from_body=body) | Q(to_body=body), task__case=case).select_related(
                "from_body", "to_body", "to_unit", "task"
            )
        ),
    )


@dataclass
class PersonCaseView:
    case: Case
    tasks: list[Task]
    data: dict[str, tuple[str, str]]
    consents: dict[int, bool]
    messages: list[Message]
    events: list[CaseEvent]
    outcome: Outcome | None = None

    @property
    def all_done(self) -> bool:
        """Every body has finished (done or not applicable): the person may say whether it worked for them."""
        return bool(self.tasks) and all(t.status not in OPEN_TASK_STATUSES for t in self.tasks)


def _outcome(case: Case) -> Outcome | None:
    return Outcome.objects.filter(case=case).first()


def case_get_for_person(token: str) -> Case:
    case = Case.objects.select_related("commune", "commune_from").filter(person_token_hash=token_hash(token or ""))
    found = case.first()
    if found is None:
        raise CaseNotFound("Ce lien de suivi n'existe pas ou n'est plus valable.")
    return found


@transaction.atomic
def case_view_for_person(token: str) -> PersonCaseView:
    """What the person sees through the private link: status, steps moving, messages, their own data."""
    case = case_get_for_person(token)
    labels = field_labels()
    values = case.data.values if not case.purged_at else {}
    audit(case=case, action="lecture", fields=list(values), purpose="suivi par la personne", by_person=True)
    return PersonCaseView(
        case=case,
        tasks=_tasks_with_pending(case),
        data={f: (labels.get(f, f), v) for f, v in values.items()},
        consents={c.body_id: c.withdrawn_at is None for c in case.consents.all()},
        messages=list(case.messages.select_related("body")),
        events=list(case.events.select_related("body")),
        outcome=_outcome(case),
    )


@dataclass
class Journal:
    case: Case
    bodies: list[Body]  # whose rows are shown (all of the case for the person)
    rows: list[AccessLog]


def access_log_for_agent(*, user: AbstractBaseUser, public_id: str) -> Journal:
    """The journal of a case for an administrator of a body of the case: the rows concerning their bodies."""
    case = case_get_for_agent(user=user, public_id=public_id)
    admin_of = [
        m.body
        for m in Membership.objects.filter(user=user, role=Role.ADMIN, body__active=True, body__tasks__case=case)
        .select_related("body")
        .distinct()
    ]
    if not admin_of:
        raise ActionRefused("Le journal des accès est réservé aux administrateurs d'une structure du dossier.")
    rows = AccessLog.objects.filter(case_ref=str(case.public_id), body__in=admin_of).select_related("body", "user")
    return Journal(case=case, bodies=admin_of, rows=list(rows[:1000]))


def access_log_for_person(token: str) -> Journal:
    """Every row of the journal of the person's case."""
    case = case_get_for_person(token)
    rows = AccessLog.objects.filter(case_ref=str(case.public_id)).select_related("body", "user")
    return Journal(case=case, bodies=[], rows=list(rows[:1000]))


def opinions_for(*, user: AbstractBaseUser, status: str | None = None) -> list[OpinionRequest]:
    """The opinions the user's bodies asked or were asked (no personal data: the question is the agents' text)."""
    ids = [b.pk for b in agent_bodies(user)]
    qs = OpinionRequest.objects.filter(Q(from_body_id__in=ids) | Q(to_body_id__in=ids))
    if status:
        qs = qs.filter(status=status)
    return list(qs.select_related("task__case", "from_body", "to_body", "to_unit").order_by("-asked_at", "-pk")[:500])


SUGGESTED_PIVOTS = ("mairie", "caf", "cpam", "cg", "maison_handicapees", "prefecture")


def handover_suggestions(*, case: Case, body: Body) -> list[Body]:
    """The bodies routing names for the case's communes, and those of the case: whom a task is usually handed to."""
    ids = set(case.tasks.values_list("body_id", flat=True))
    for commune in filter(None, [case.commune, case.commune_from]):
        for pivot in SUGGESTED_PIVOTS:
            try:
                ids.update(b.id for b in route_pivot(pivot, commune=commune.insee_code).bodies)
            except DomainError:
                continue
    ids.discard(body.pk)
    return list(Body.objects.active().filter(pk__in=ids).order_by("name"))


def bodies_search(query: str, *, limit: int = 10) -> list[Body]:
    """Active bodies whose name contains the words typed (for the hand-over form)."""
    words = [w for w in query.split() if len(w) >= 2][:6]
    if not words:
        return []
    qs = Body.objects.active()
    for w in words:
        qs = qs.filter(name__icontains=w)
    return list(qs.order_by("name")[:limit])
