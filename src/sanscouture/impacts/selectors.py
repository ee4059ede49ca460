"""Reads: the impact computation (through routing, never re-implemented), actions, notices, feeds, and the ledger
of exchanges between two bodies (read by the network app)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from sanscouture.bodies.models import Body
from sanscouture.cases.models import OPEN_TASK_STATUSES, Case, CaseStatus, Task
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.routing import BodyInfo, Place, place_or_none, route, route_pivot
from sanscouture.contracts.selectors import sheets_touching
from sanscouture.territories.models import Commune

from .dependencies import PIVOT_PREFIX, dependants
from .errors import ActionNotFound, NoticeNotFound
from .models import Action, Exchange, Notice

SHOWN_COMMUNES = 8


def subject_label(subject: str) -> str:
    """« transport scolaire », « guichet CCAS »: how a competence or an office is named in a reason."""
    from sanscouture.bodies.services import pivot_labels

    if subject.startswith(PIVOT_PREFIX):
        code = subject.removeprefix(PIVOT_PREFIX)
        return f"guichet {pivot_labels().get(code, code)}"
    try:
        return catalogue().get(subject).label.lower()
    except Exception:  # noqa: BLE001 (an edge naming a code the catalogue dropped: shown as is)
        return subject


def _route_subject(subject: str, pl: Place, on: date) -> tuple[BodyInfo, ...]:
    if subject.startswith(PIVOT_PREFIX):
        return route_pivot(subject.removeprefix(PIVOT_PREFIX), commune=pl, on=on).bodies
    return route(subject, commune=pl, on=on).bodies


@dataclass
class AffectedBody:
    """A body the action affects: where, and through which chains of reasons."""

    body: BodyInfo
    communes: list[tuple[str, str]] = field(default_factory=list)  # (INSEE code, name)
    chains: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (from, to) → commune names
    references: dict[tuple[str, str], str] = field(default_factory=dict)
    sheets: dict[str, list[str]] = field(default_factory=dict)  # « fiche … (contrat), dont X est partenaire » → names

    def reasons(self, declarant: str) -> list[str]:
        """« transport scolaire (Région Occitanie) → collèges (Département de l'Hérault) dans 36 communes : … »;
        then the action sheets of contracts the body is in, whose competences and communes the action touches."""
        out = []
        for (src, dst), names in self.chains.items():
            where = _where(names)
            if src == dst:
                out.append(f"{subject_label(src)} ({self.body.name}), compétence touchée directement, {where}")
            else:
                ref = self.references.get((src, dst), "")
                out.append(
                    f"{subject_label(src)} ({declarant}) → {subject_label(dst)} ({self.body.name}) {where}"
                    + (f" — {ref}" if ref else "")
                )
        out += [f"{sheet}, {_where(names)}" for sheet, names in self.sheets.items()]
        return out


def _where(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_COMMUNES]) + (" …" if len(names) > SHOWN_COMMUNES else "")
    return f"dans {len(names)} commune{'s' if len(names) > 1 else ''} : {shown}"


@dataclass
class Impacts:
    """What publishing the action does to the others: bodies, open cases, journeys, clashes."""

    bodies: list[AffectedBody]
    open_cases: int
    clashes: list[Action]
    communes: int


def _targets(action_subjects: list[str]) -> dict[str, list[tuple[str, str]]]:
    """target subject → [(source, reason sentence with its reference)]: the touched subjects themselves and their
    dependants from the reviewed file."""
    targets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for subject in action_subjects:
        targets[subject].append((subject, ""))
        for edge in dependants(subject):
            targets[edge.target].append((subject, f"{edge.reason} ({edge.reference.label})"))
    return targets


def action_subjects(action: Action) -> list[str]:
    return [*action.competences, *(PIVOT_PREFIX + p for p in action.pivots)]


def impacted_bodies(*, body_id: int, subjects: list[str], codes: list[str], on: date) -> list[AffectedBody]:
    """For each commune and each touched or dependent subject, the body routing names there; grouped by body, the
    declaring body left out."""
    targets = _targets(subjects)
    found: dict[int, AffectedBody] = {}
    for code in codes:
        pl = place_or_none(code)
        if pl is None:
            continue
        for target, sources in targets.items():
            for info in _route_subject(target, pl, on):
                if info.id == body_id:
                    continue
                affected = found.get(info.id)
                if affected is None:
                    affected = found[info.id] = AffectedBody(body=info)
                if not affected.communes or affected.communes[-1][0] != pl.insee_code:
                    affected.communes.append((pl.insee_code, pl.name))
                for src, ref in sources:
                    names = affected.chains.setdefault((src, target), [])
                    if not names or names[-1] != pl.name:
                        names.append(pl.name)
                    if ref:
                        affected.references[(src, target)] = ref
    _add_sheet_members(found, body_id=body_id, subjects=subjects, codes=codes)
    return sorted(found.values(), key=lambda a: (-len(a.communes), a.body.name))


def _add_sheet_members(found: dict[int, AffectedBody], *, body_id: int, subjects: list[str], codes: list[str]) -> None:
    """The pilot and partners of the contracts' action sheets that need a touched competence in those communes
    (issue 14): their project depends on what the action changes, whoever is competent."""
    competences = [s for s in subjects if not s.startswith(PIVOT_PREFIX)]
    for touch in sheets_touching(commune_codes=codes, competence_codes=competences):
        places = [(pl.insee_code, pl.name) for pl in (place_or_none(c) for c in touch.communes) if pl is not None]
        names = [n for _, n in places]
        for body, role in [(touch.pilot, "pilote"), *((b, "partenaire") for b in touch.partners)]:
            if body.pk == body_id:
                continue
            affected = found.get(body.pk)
            if affected is None:
                info = BodyInfo(id=body.pk, key=body.key, name=body.name, kind=body.kind)
                affected = found[body.pk] = AffectedBody(body=info)
            known = {code for code, _ in affected.communes}
            affected.communes += [(c, n) for c, n in places if c not in known]
            label = (
                f"fiche action « {touch.sheet.title} » du contrat « {touch.sheet.contract.title} », "
                f"dont {body.name} est {role} ({', '.join(subject_label(c) for c in touch.competences)})"
            )
            affected.sheets.setdefault(label, names)


def affected_cases(*, action: Action, body_ids: list[int], commune_ids: list[int]) -> QuerySet[Case]:
    """Open cases of those communes with an open task of the declaring or an affected body (and, when the action
    names life events, of those life events).

    Driven from the cases of the communes, each checked by EXISTS on its own tasks (the case FK index): the other
    way round, from the tasks of ~900 bodies, read most of the task table (benchmarks/bench_impacts.py)."""
    tasks = Task.objects.filter(
        case_id=OuterRef("pk"), body_id__in=[action.body_id, *body_ids], status__in=OPEN_TASK_STATUSES
    )
    cases = Case.objects.filter(status=CaseStatus.OPEN, commune_id__in=commune_ids)
    if action.life_events:
        cases = cases.filter(life_event__in=action.life_events)
    return cases.filter(Exists(tasks))


def affected_cases_count(*, action: Action, body_ids: list[int], commune_ids: list[int]) -> int:
    """How many: counted in the database, never listed (the API and the preview give a number only)."""
    return affected_cases(action=action, body_ids=body_ids, commune_ids=commune_ids).count()


def dependent_subjects(subjects: list[str]) -> set[str]:
    return set(subjects) | {e.target for s in subjects for e in dependants(s)}


def clashes_for(*, action: Action, commune_ids: list[int]) -> list[Action]:
    """Published actions overlapping in communes and dates on the same or a dependent competence (either way)."""
    mine = action_subjects(action)
    reach = dependent_subjects(mine)
    others = (
        Action.objects.public()
        .exclude(pk=action.pk)
        .filter(start__lte=action.end, end__gte=action.start, communes__in=commune_ids)
        .select_related("body")
        .distinct()
    )
    return [o for o in others if reach & set(action_subjects(o)) or dependent_subjects(action_subjects(o)) & set(mine)]


def impacts_compute(*, action: Action) -> Impacts:
    """The one impact computation (preview, publication, API)."""
    communes = list(action.communes.values_list("pk", "insee_code"))
    codes = [c for _, c in communes]
    commune_ids = [pk for pk, _ in communes]
    bodies = impacted_bodies(
        body_id=action.body_id,
        subjects=action_subjects(action),
        codes=codes,
        on=action.start,
    )
    return Impacts(
        bodies=bodies,
        open_cases=affected_cases_count(action=action, body_ids=[a.body.id for a in bodies], commune_ids=commune_ids),
        clashes=clashes_for(action=action, commune_ids=commune_ids),
        communes=len(codes),
    )


# --- Actions and notices, scoped ------------------------------------------------------------------------------------


def action_get_for_user(*, user: AbstractBaseUser | AnonymousUser, action_id: int) -> Action:
    action = Action.objects.visible_to(user).select_related("body").filter(pk=action_id).first()
    if action is None:
        raise ActionNotFound("Action introuvable.")
    return action


def actions_of_user(user: AbstractBaseUser) -> QuerySet[Action]:
    """The declarant's dashboard: the actions of the user's bodies."""
    body_ids = list(user.memberships.filter(body__active=True).values_list("body_id", flat=True))
    return Action.objects.filter(body_id__in=body_ids).select_related("body").prefetch_related("notices")


def notices_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notice]:
    """Notices addressed to the user's bodies, and those their bodies' actions sent (to see the answers)."""
    if not user.is_authenticated:
        return Notice.objects.none()
    body_ids = list(user.memberships.filter(body__active=True).values_list("body_id", flat=True))
    return Notice.objects.filter(Q(body_id__in=body_ids) | Q(action__body_id__in=body_ids))


def notices_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notice]:
    """The inbox: notices addressed to the user's bodies."""
    return Notice.objects.for_user(user).select_related("action", "action__body", "body").order_by("due_on", "pk")


def notice_get_for_user(*, user: AbstractBaseUser | AnonymousUser, notice_id: int) -> Notice:
    notice = notices_visible_to(user).select_related("action", "action__body", "body").filter(pk=notice_id).first()
    if notice is None:
        raise NoticeNotFound("Avis introuvable.")
    return notice


def notice_state(notice: Notice, today: date) -> str:
    """answered (with its label), sans réponse past the delay, or en attente."""
    if notice.answer:
        return notice.get_answer_display()
    return "Sans réponse" if today > notice.due_on else "En attente de réponse"


# --- Public: what is in force or to come in a commune or an EPCI -----------------------------------------------------


def actions_public_for(*, commune_ids: list[int], today: date) -> QuerySet[Action]:
    return (
        Action.objects.public()
        .filter(end__gte=today, communes__in=commune_ids)
        .select_related("body")
        .distinct()
        .order_by("start", "pk")
    )


def actions_in_commune(*, code: str, today: date) -> QuerySet[Action]:
    ids = list(Commune.objects.current().filter(insee_code=code).values_list("pk", flat=True))
    return actions_public_for(commune_ids=ids, today=today)


def actions_in_epci(*, siren: str, today: date) -> QuerySet[Action]:
    ids = list(Commune.objects.current().filter(epci_id=siren).values_list("pk", flat=True))
    return actions_public_for(commune_ids=ids, today=today)


def actions_during(*, commune_id: int, on: date, life_event: str | None = None) -> list[Action]:
    """Published actions in force on `on` in the commune (the journey page's notice)."""
    qs = Action.objects.public().filter(start__lte=on, end__gte=on, communes=commune_id).select_related("body")
    return [a for a in qs if not life_event or not a.life_events or life_event in a.life_events]


def actions_for_case(*, case: Case, today: date) -> list[Action]:
    """Published actions in force or to come in the case's commune that the case's bodies declared or were notified
    of: what the agents working the case must know."""
    body_ids = list(case.tasks.values_list("body_id", flat=True))
    return list(
        Action.objects.public()
        .filter(end__gte=today, communes=case.commune_id)
        .filter(Q(body_id__in=body_ids) | Q(notices__body_id__in=body_ids))
        .select_related("body")
        .distinct()
        .order_by("start", "pk")
    )


# --- For the network app ---------------------------------------------------------------------------------------------


def exchanges_between(*, body_a: Body | int, body_b: Body | int, since_id: int = 0) -> QuerySet[Exchange]:
    """Notices, answers, reminders and opinions between two bodies, both ways, in order (incremental with
    `since_id`: the ledger is append-only)."""
    a = body_a if isinstance(body_a, int) else body_a.pk
    b = body_b if isinstance(body_b, int) else body_b.pk
    return Exchange.objects.filter(
        Q(from_body_id=a, to_body_id=b) | Q(from_body_id=b, to_body_id=a), pk__gt=since_id
    ).order_by("pk")


def exchanges_since(*, since_id: int = 0) -> QuerySet[Exchange]:
    """Every exchange after `since_id`, in order: the network's incremental read."""
    return Exchange.objects.filter(pk__gt=since_id).order_by("pk")
