"""Guichet unique over the REST API: declaration, tasks, hand-overs, messages, notes, journal, the person's link.

Thin: validate → selector/service → serialize. Every query starts from the caller's scope; anything outside it is
a 404. Creating endpoints accept an `Idempotency-Key` header (see `_idempotent`)."""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from ninja import Field, Header, Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token, anonymous
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.catalogue.errors import LifeEventNotFound
from sanscouture.catalogue.selectors import life_event_get
from sanscouture.competences.schemas import BodyOut
from sanscouture.errors import Conflict, InvalidInput

from .errors import ActionRefused, CaseNotFound
from .models import Case, Handover, IdempotencyKey, Message, Note, OpinionRequest, RefusalReason, Task, TaskStatus
from .schemas import (
    AccessLogOut,
    CaseCreatedOut,
    CaseIn,
    CaseOut,
    ConsentOut,
    DataFieldOut,
    DecisionIn,
    EventOut,
    HandoverIn,
    HandoverOut,
    MessageIn,
    MessageOut,
    NoteOut,
    OpinionAnswerIn,
    OpinionIn,
    OpinionOut,
    PersonCaseOut,
    PersonMessageIn,
    StatusIn,
    TaskListItemOut,
    TaskOut,
    UnitIn,
    UnitOut,
)
from .selectors import (
    access_log_for_agent,
    access_log_for_person,
    agent_bodies,
    case_get_for_agent,
    case_get_for_person,
    case_view_for_agent,
    case_view_for_person,
    opinions_for,
    tasks_for,
)
from .services import (
    consent_withdraw,
    declaration_submit,
    handover_decide,
    message_send,
    note_add,
    opinion_answer,
    opinion_ask,
    task_hand_over,
    task_status_set,
    task_unit_assign,
)

router = Router(tags=["Guichet unique"])

# Agents: their verified session (CSRF on unsafe methods) or their body's API token (Bearer).
AGENT_AUTH: list[Any] = list(agent_or_token)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,200}$")
IDEMPOTENCY_DOC = (
    "En-tête `Idempotency-Key` (8 à 200 caractères : lettres, chiffres, `_ . : -`) : la même clé envoyée de "
    "nouveau par le même appelant ne crée rien et reçoit la même réponse ; avec une autre requête, 409."
)


class IdempotencyKeyInvalid(InvalidInput):
    code = "cle_idempotence_invalide"


class IdempotencyKeyReused(Conflict):
    code = "cle_idempotence_reutilisee"


ERRORS = errors(400, 401, 403, 404, 409, 422)


def _idempotent(
    request: HttpRequest, operation: str, payload: dict[str, Any], run: Callable[[], tuple[int, dict]], key: str | None
) -> Status:
    """Run a creation once per (caller, key): the key row is inserted first in the creation's transaction, so a
    concurrent call with the same key waits on the unique constraint, then replays the stored response."""
    if key is None:
        with transaction.atomic():
            return Status(*run())
    if not IDEMPOTENCY_KEY.match(key):
        raise IdempotencyKeyInvalid("L'en-tête Idempotency-Key contient de 8 à 200 lettres, chiffres, « _ . : - ».")
    # Anonymous callers are told apart by address: a key reused by someone else never replays a reply
    # (it holds a follow-up link).
    caller = (
        f"user:{request.user.pk}" if request.user.is_authenticated else f"anonyme:{request.META.get('REMOTE_ADDR', '')}"
    )
    fingerprint = hashlib.sha256(json.dumps([operation, payload], sort_keys=True, default=str).encode()).hexdigest()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                caller=caller, key=key, operation=operation, fingerprint=fingerprint, status_code=0
            )
            status, body = run()
            IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status, response=body)
        return Status(status, body)
    except IntegrityError:
        stored = IdempotencyKey.objects.filter(caller=caller, key=key).first()
        if stored is None:
            raise
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused("Cette clé d'idempotence a déjà servi pour une autre requête.")
    return Status(stored.status_code, stored.response)


def body_out(b: Body) -> BodyOut:
    return BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind)


def task_out(t: Task) -> TaskOut:
    return TaskOut(
        id=t.pk,
        dossier=t.case.public_id,
        reference=t.case.reference,
        structure=body_out(t.body),
        titre=t.title,
        action_attendue=t.expected_action,
        etapes=t.steps,
        commune_role=t.commune_role,
        statut=t.status,
        statut_libelle=TaskStatus(t.status).label,
        motif=t.status_reason,
        echeance=t.due_date,
        service=unit_out(t.unit),
    )


def unit_out(u: BodyUnit | None) -> UnitOut | None:
    return UnitOut(id=u.pk, nom=u.name) if u is not None else None


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.pk,
        date=m.created_at,
        de_la_personne=m.from_person,
        structure=body_out(m.body) if m.body else None,
        texte=m.text,
    )


def note_out(n: Note) -> NoteOut:
    return NoteOut(id=n.pk, date=n.created_at, structure=body_out(n.body), texte=n.text)


def handover_out(h: Handover) -> HandoverOut:
    return HandoverOut(
        id=h.pk,
        tache=h.task_id,
        de=body_out(h.from_body),
        vers=body_out(h.to_body),
        service_de=unit_out(h.from_unit),
        service_vers=unit_out(h.to_unit),
        motif=h.reason,
        statut=h.status,
        motif_decision=h.decision_reason,
        date=h.created_at,
        etapes=h.steps,
        code_refus=h.refusal_reason,
        motif_visible=h.reason_visible_to_person,
    )


def opinion_out(o: OpinionRequest) -> OpinionOut:
    return OpinionOut(
        id=o.pk,
        dossier=str(o.task.case.public_id),
        tache=o.task_id,
        de=body_out(o.from_body),
        vers=body_out(o.to_body),
        service_vers=unit_out(o.to_unit),
        question=o.question,
        reponse=o.answer,
        statut=o.status,
        demande_le=o.asked_at,
        repondu_le=o.answered_at,
    )


def _life_event_id(value: str) -> str:
    try:
        return life_event_get(value).publication_id
    except LifeEventNotFound:
        return value


def _acting_body(user: Any, case: Case, structure: int | None) -> Body:
    """The agent's body that acts in the case: the one asked for (among theirs with a task), or their only one."""
    mine = [b for b in agent_bodies(user) if case.tasks.filter(body=b).exists()]
    if structure is not None:
        mine = [b for b in mine if b.pk == structure]
    if not mine:
        raise ActionRefused("Aucune de vos structures n'a de tâche dans ce dossier.")
    return mine[0]


# --- The person's declaration -----------------------------------------------------------------------------


@router.post(
    "/dossiers",
    response={201: CaseCreatedOut, **ERRORS},
    auth=[*AGENT_AUTH, anonymous],
    summary="Déclarer une seule fois : ouvre un dossier partagé avec une tâche par structure compétente",
    description="Ouvert à la personne sans compte, ou à un agent qui dépose pour elle au nom de l'une de ses "
    "structures (`structure_guichet`, enregistré). Le jeton de suivi n'est donné qu'une fois. " + IDEMPOTENCY_DOC,
)
def case_create(
    request: HttpRequest, payload: CaseIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
) -> Status:
    def run() -> tuple[int, dict]:
        on_behalf = None
        if payload.structure_guichet is not None:
            on_behalf = Body.objects.filter(pk=payload.structure_guichet).first()
            if on_behalf is None or not request.user.is_authenticated:
                raise ActionRefused("Seul un agent de la structure peut déposer une déclaration en son nom.")
        case, token = declaration_submit(
            life_event=payload.moment_de_vie,
            choices=payload.choix,
            commune=payload.commune,
            commune_from=payload.commune_depart or None,
            values=payload.donnees,
            consents=payload.consentements,
            actor=request.user,
            on_behalf_body=on_behalf,
        )
        tasks = case.tasks.select_related("body", "case")
        out = CaseCreatedOut(
            id=case.public_id,
            reference=case.reference,
            jeton_suivi=token,
            url_suivi=f"/suivi/{token}/",
            taches=[task_out(t) for t in tasks],
        )
        return 201, out.model_dump(mode="json")

    return _idempotent(request, "dossier", payload.model_dump(mode="json"), run, idempotency_key)


# --- Agents ----------------------------------------------------------------------------------------------


class TaskFilters(Schema):
    statut: TaskStatus | None = None
    echeance_avant: date | None = None
    moment_de_vie: str | None = None
    commune: str | None = None
    limite: int = Field(50, ge=1, description="Nombre de tâches (au plus 200)")
    decalage: int = Field(0, ge=0, description="Tâches à sauter")


@router.get(
    "/taches",
    response={200: list[TaskListItemOut], **ERRORS},
    auth=AGENT_AUTH,
    summary="Les tâches de mes structures, avec filtres (sans donnée personnelle)",
)
def tasks_list(request: HttpRequest, filters: Query[TaskFilters]) -> list[TaskListItemOut]:
    limit, offset = min(filters.limite, 200), filters.decalage
    qs = tasks_for(
        user=request.user,
        status=filters.statut,
        due_before=filters.echeance_avant,
        life_event=_life_event_id(filters.moment_de_vie) if filters.moment_de_vie else None,
        commune=filters.commune,
    )
    return [
        TaskListItemOut(
            **task_out(t).model_dump(), moment_de_vie=t.case.life_event_title, commune=t.case.commune.insee_code
        )
        for t in qs[offset : offset + limit]
    ]


@router.get(
    "/dossiers/{case_id}",
    response={200: CaseOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Un dossier partagé tel que le voit ma structure (lecture journalisée)",
)
def case_detail(request: HttpRequest, response: HttpResponse, case_id: str, structure: int | None = None) -> CaseOut:
    add_never_cache_headers(response)  # personal data: never kept by a cache (consent withdrawal)
    body = None
    if structure is not None:
        body = next((b for b in agent_bodies(request.user) if b.pk == structure), None)
        if body is None:
            raise CaseNotFound("Dossier introuvable.")
    v = case_view_for_agent(user=request.user, public_id=case_id, body=body)
    c = v.case
    for t in v.tasks:
        t.case = c
    return CaseOut(
        id=c.public_id,
        reference=c.reference,
        moment_de_vie=c.life_event,
        moment_de_vie_titre=c.life_event_title,
        commune=c.commune.insee_code,
        commune_depart=c.commune_from.insee_code if c.commune_from else None,
        statut=c.status,
        cree_le=c.created_at,
        structure=body_out(v.body),
        structures_possibles=[body_out(b) for b in v.bodies],
        consentement=v.consent,
        donnees=[DataFieldOut(champ=k, libelle=label, valeur=value) for k, (label, value) in v.data.items()],
        taches=[task_out(t) for t in v.tasks],
        notes=[note_out(n) for n in v.notes],
        messages=[message_out(m) for m in v.messages],
        evenements=[EventOut(date=e.created_at, type=e.kind, texte=e.text) for e in v.events],
        orientations_a_decider=[handover_out(h) for h in v.handovers_to_me],
    )


def _my_task(request: HttpRequest, task_id: int) -> Task:
    return get_object_or_404(Task.objects.for_user(request.user).select_related("case", "body"), pk=task_id)


@router.post(
    "/taches/{task_id}/statut",
    response={200: TaskOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Changer le statut d'une tâche de ma structure (« sans objet » avec un motif)",
)
def task_status(request: HttpRequest, task_id: int, payload: StatusIn) -> TaskOut:
    task = task_status_set(
        task=_my_task(request, task_id), status=payload.statut, reason=payload.motif, actor=request.user
    )
    return task_out(task)


def _receiver(body_id: int, unit_id: int | None) -> tuple[Body, BodyUnit | None]:
    """The active body (and its active service, when named) a task is handed over to or asked for an opinion."""
    to_body = get_object_or_404(Body.objects.active(), pk=body_id)
    if unit_id is None:
        return to_body, None
    return to_body, get_object_or_404(BodyUnit.objects.filter(body=to_body, active=True), pk=unit_id)


@router.post(
    "/taches/{task_id}/orientations",
    response={201: HandoverOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Orienter une tâche de ma structure vers une autre structure, avec un motif",
    description=IDEMPOTENCY_DOC,
)
def task_handover(
    request: HttpRequest,
    task_id: int,
    payload: HandoverIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    def run() -> tuple[int, dict]:
        task = _my_task(request, task_id)
        to_body, to_unit = _receiver(payload.structure, payload.service)
        handover = task_hand_over(
            task=task, to_body=to_body, to_unit=to_unit, reason=payload.motif, steps=payload.etapes, actor=request.user
        )
        return 201, handover_out(handover).model_dump(mode="json")

    return _idempotent(request, f"orientation:{task_id}", payload.model_dump(), run, idempotency_key)


@router.post(
    "/taches/{task_id}/avis-demandes",
    response={201: OpinionOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Demander l'avis d'une autre structure sur une tâche de ma structure, sans la lui confier",
    description=IDEMPOTENCY_DOC,
)
def task_opinion(
    request: HttpRequest,
    task_id: int,
    payload: OpinionIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    def run() -> tuple[int, dict]:
        task = _my_task(request, task_id)
        to_body, to_unit = _receiver(payload.structure, payload.service)
        opinion = opinion_ask(
            task=task, to_body=to_body, to_unit=to_unit, question=payload.question, actor=request.user
        )
        return 201, opinion_out(opinion).model_dump(mode="json")

    return _idempotent(request, f"avis:{task_id}", payload.model_dump(), run, idempotency_key)


@router.post(
    "/avis-demandes/{avis_demande_id}/reponse",
    response={200: OpinionOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Donner l'avis demandé à ma structure",
    description="Un avis est donné une fois : si deux agents répondent en même temps, l'autre reçoit 409.",
)
def opinion_reply(request: HttpRequest, avis_demande_id: int, payload: OpinionAnswerIn) -> OpinionOut:
    opinion = get_object_or_404(
        OpinionRequest.objects.filter(to_body__memberships__user=request.user).distinct(), pk=avis_demande_id
    )
    return opinion_out(opinion_answer(opinion=opinion, answer=payload.reponse, actor=request.user))


@router.get(
    "/avis-demandes",
    response={200: list[OpinionOut], **ERRORS},
    auth=AGENT_AUTH,
    summary="Les demandes d'avis de mes structures : demandées et reçues (sans donnée personnelle)",
)
def opinions_list(request: HttpRequest, statut: Literal["asked", "given"] | None = None) -> list[OpinionOut]:
    return [opinion_out(o) for o in opinions_for(user=request.user, status=statut)]


@router.post(
    "/taches/{task_id}/service",
    response={200: TaskOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Confier une tâche de ma structure à l'un de ses services (ou à aucun)",
)
def task_service(request: HttpRequest, task_id: int, payload: UnitIn) -> TaskOut:
    task = _my_task(request, task_id)
    unit = None
    if payload.service is not None:
        unit = get_object_or_404(BodyUnit.objects.filter(body_id=task.body_id, active=True), pk=payload.service)
    return task_out(task_unit_assign(task=task, unit=unit, actor=request.user))


@router.post(
    "/orientations/{handover_id}/decision",
    response={200: HandoverOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Accepter ou refuser (avec un motif) une orientation reçue par ma structure",
    description="Si deux agents répondent en même temps, un seul réussit ; l'autre reçoit 409.",
)
def handover_decision(request: HttpRequest, handover_id: int, payload: DecisionIn) -> HandoverOut:
    handover = get_object_or_404(
        Handover.objects.filter(to_body__memberships__user=request.user).distinct(), pk=handover_id
    )
    accept = payload.decision == "acceptee"
    decided = handover_decide(
        handover=handover,
        accept=accept,
        reason=payload.motif,
        # A refusal with only a free-text reason (older clients) is an "other" reason.
        refusal_reason=payload.code_refus or ("" if accept or not payload.motif else RefusalReason.OTHER),
        reason_visible_to_person=payload.motif_visible,
        actor=request.user,
    )
    return handover_out(decided)


@router.post(
    "/dossiers/{case_id}/messages",
    response={201: MessageOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Écrire à la personne au nom de ma structure",
    description=IDEMPOTENCY_DOC,
)
def case_message(
    request: HttpRequest,
    case_id: str,
    payload: MessageIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    def run() -> tuple[int, dict]:
        case = case_get_for_agent(user=request.user, public_id=case_id)
        body = _acting_body(request.user, case, payload.structure)
        message = message_send(case=case, text=payload.texte, actor=request.user, body=body)
        return 201, message_out(message).model_dump(mode="json")

    return _idempotent(request, f"message:{case_id}", payload.model_dump(), run, idempotency_key)


@router.post(
    "/dossiers/{case_id}/notes",
    response={201: NoteOut, **ERRORS},
    auth=AGENT_AUTH,
    summary="Écrire une note interne (vue seulement par ma structure)",
    description=IDEMPOTENCY_DOC,
)
def case_note(
    request: HttpRequest,
    case_id: str,
    payload: MessageIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    def run() -> tuple[int, dict]:
        case = case_get_for_agent(user=request.user, public_id=case_id)
        body = _acting_body(request.user, case, payload.structure)
        note = note_add(case=case, body=body, text=payload.texte, actor=request.user)
        return 201, note_out(note).model_dump(mode="json")

    return _idempotent(request, f"note:{case_id}", payload.model_dump(), run, idempotency_key)


def _log_out(rows: list[Any]) -> list[AccessLogOut]:
    return [
        AccessLogOut(
            date=r.at,
            action=r.action,
            structure=r.body.name if r.body else None,
            par_la_personne=r.by_person,
            agent=r.user.get_username() if r.user else None,
            champs=r.fields,
            motif=r.purpose,
        )
        for r in rows
    ]


@router.get(
    "/dossiers/{case_id}/journal",
    response={200: list[AccessLogOut], **ERRORS},
    auth=AGENT_AUTH,
    summary="Journal des accès aux données du dossier (administrateur d'une structure du dossier)",
    description="Les lignes qui concernent les structures dont vous êtes administrateur.",
)
def case_journal(request: HttpRequest, response: HttpResponse, case_id: str) -> list[AccessLogOut]:
    add_never_cache_headers(response)
    return _log_out(access_log_for_agent(user=request.user, public_id=case_id).rows)


# --- The person, through the private link --------------------------------------------------------------------


@router.get(
    "/suivi/{token}",
    response={200: PersonCaseOut, **ERRORS},
    summary="Le suivi du dossier par la personne (lien privé)",
)
def person_case(request: HttpRequest, response: HttpResponse, token: str) -> PersonCaseOut:
    add_never_cache_headers(response)
    v = case_view_for_person(token)
    c = v.case
    bodies: dict[int, Body] = {}
    for t in v.tasks:
        t.case = c
        bodies[t.body_id] = t.body
    missing = set(v.consents) - set(bodies)
    bodies.update(Body.objects.in_bulk(list(missing)))
    return PersonCaseOut(
        id=c.public_id,
        reference=c.reference,
        moment_de_vie_titre=c.life_event_title,
        commune=c.commune.insee_code,
        commune_depart=c.commune_from.insee_code if c.commune_from else None,
        statut=c.status,
        taches=[task_out(t) for t in v.tasks],
        donnees=[DataFieldOut(champ=k, libelle=label, valeur=value) for k, (label, value) in v.data.items()],
        consentements=[
            ConsentOut(structure=body_out(b), consentement=v.consents.get(pk, False))
            for pk, b in sorted(bodies.items(), key=lambda x: x[1].name)
        ],
        messages=[message_out(m) for m in v.messages],
        evenements=[EventOut(date=e.created_at, type=e.kind, texte=e.text) for e in v.events],
    )


@router.post(
    "/suivi/{token}/messages",
    response={201: MessageOut, **ERRORS},
    summary="La personne écrit aux structures de son dossier",
    description=IDEMPOTENCY_DOC,
)
def person_message(
    request: HttpRequest,
    token: str,
    payload: PersonMessageIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    def run() -> tuple[int, dict]:
        case = case_get_for_person(token)
        message = message_send(case=case, text=payload.texte, from_person=True)
        return 201, message_out(message).model_dump(mode="json")

    scope = hashlib.sha256(token.encode()).hexdigest()[:16]
    return _idempotent(request, f"message-personne:{scope}", payload.model_dump(), run, idempotency_key)


@router.post(
    "/suivi/{token}/consentements/{body_id}/retrait",
    response={200: ConsentOut, **ERRORS},
    summary="La personne retire son consentement à une structure : son accès aux données cesse aussitôt",
)
def person_consent_withdraw(request: HttpRequest, token: str, body_id: int) -> ConsentOut:
    case = case_get_for_person(token)
    body = get_object_or_404(Body.objects.filter(pk__in=case.consents.values("body")), pk=body_id)
    consent_withdraw(case=case, body=body)
    return ConsentOut(structure=body_out(body), consentement=False)


@router.get(
    "/suivi/{token}/journal",
    response={200: list[AccessLogOut], **ERRORS},
    summary="Le journal des accès aux données du dossier, pour la personne",
)
def person_journal(request: HttpRequest, response: HttpResponse, token: str) -> list[AccessLogOut]:
    add_never_cache_headers(response)
    return _log_out(access_log_for_person(token).rows)
