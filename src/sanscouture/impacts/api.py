"""Declared actions, their impacts and notices over the REST API. Thin: validate → service/selector → serialize.
Agents act through their session or their body's API token (which acts as the body)."""

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body
from sanscouture.competences.schemas import BodyOut
from sanscouture.errors import DomainError
from sanscouture.territories.selectors import commune_resolve

from .errors import UnknownTerritory
from .models import Action, Notice
from .schemas import (
    ActionIn,
    ActionOut,
    AffectedBodyOut,
    AnswerIn,
    ClashOut,
    CommuneRefOut,
    ImpactsOut,
    NoticeOut,
    PublicActionOut,
)
from .selectors import (
    action_get_for_user,
    actions_in_commune,
    impacts_compute,
    notice_get_for_user,
    notice_state,
    notices_for,
)
from .services import action_declare, action_publish, notice_answer

router = Router(tags=["Responsabilité collective"])


def _body(b: Body) -> BodyOut:
    return BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind)


def _public(a: Action) -> dict:
    return {
        "id": a.pk,
        "version": a.version,
        "structure": _body(a.body),
        "type": a.kind,
        "titre": a.title,
        "description": a.description,
        "contact": a.contact,
        "cause": a.cause,
        "effet": a.effect,
        "gravite": a.severity,
        "debut": a.start,
        "fin": a.end,
        "debut_effectif": a.actual_start,
        "fin_effective": a.actual_end,
    }


def action_out(a: Action) -> ActionOut:
    return ActionOut(
        **_public(a),
        statut=a.status,
        statut_libelle=a.get_status_display(),
        territoire=a.territory,
        communes=[CommuneRefOut(code=c.insee_code, nom=c.name) for c in a.communes.order_by("insee_code")],
        competences=a.competences,
        pivots=a.pivots,
        moments_de_vie=a.life_events,
        modifications=a.changes,
        publiee_le=a.published_at,
    )


def notice_out(n: Notice) -> NoticeOut:
    return NoticeOut(
        id=n.pk,
        action=n.action_id,
        titre=n.action.title,
        declarant=_body(n.action.body),
        structure=_body(n.body),
        type=n.kind,
        communes=n.communes,
        raisons=n.reasons,
        version=n.version,
        envoye_le=n.sent_at,
        echeance=n.due_on,
        etat=notice_state(n, timezone.localdate()),
        reponse=n.answer,
        texte=n.answer_text,
        repondu_le=n.answered_at,
        accuse_reception=n.receipt,
    )


@router.post(
    "/actions",
    response={201: ActionOut},
    auth=agent_or_token,
    summary="Déclarer une action (brouillon) : travaux, guichet, règle, transfert, événement",
    description="La structure doit être l'une des vôtres, et chaque commune sur son territoire ou là où le routage "
    "la désigne compétente pour une compétence ou un guichet touché (sinon 403 `hors_territoire`). Une période "
    "qui finit avant de commencer, une compétence ou un guichet inconnu : 400, rien n'est créé.",
)
def actions_create(request: HttpRequest, payload: ActionIn) -> Status[ActionOut]:
    body = get_object_or_404(Body.objects.filter(active=True), pk=payload.structure)
    try:  # former codes resolve to the current commune; an unknown code is bad input (400), not a missing page
        codes = [commune_resolve(c).commune.insee_code for c in dict.fromkeys(payload.communes)]
    except DomainError as exc:
        raise UnknownTerritory(exc.message, details=exc.details) from exc
    with transaction.atomic():
        action = action_declare(
            actor=request.user,
            body=body,
            kind=payload.type,
            title=payload.titre,
            start=payload.debut,
            end=payload.fin,
            communes=codes,
            territory=payload.territoire,
            competences=payload.competences,
            pivots=payload.pivots,
            life_events=payload.moments_de_vie,
            description=payload.description,
            contact=payload.contact,
            cause=payload.cause,
            effect=payload.effet,
            severity=payload.gravite,
        )
    return Status(201, action_out(action))


@router.get("/actions/{id}", response=ActionOut, auth=agent_or_token, summary="Une action déclarée")
def actions_detail(request: HttpRequest, id: int) -> ActionOut:  # noqa: A002 (the path's name)
    return action_out(action_get_for_user(user=request.user, action_id=id))


@router.post(
    "/actions/{id}/publication",
    response={200: ActionOut, **errors(409)},
    auth=agent_or_token,
    summary="Publier l'action : un avis part vers chaque structure concernée",
    description="Administrateur ou référent de la structure ; la demande d'un agent passe « à valider ».",
)
def actions_publish(request: HttpRequest, id: int) -> ActionOut:  # noqa: A002
    action = action_get_for_user(user=request.user, action_id=id)
    return action_out(action_publish(actor=request.user, action=action))


@router.get(
    "/actions/{id}/impacts",
    response=ImpactsOut,
    auth=agent_or_token,
    summary="Les effets de l'action : structures concernées et pourquoi, dossiers ouverts touchés, conflits",
)
def actions_impacts(request: HttpRequest, id: int) -> ImpactsOut:  # noqa: A002
    action = action_get_for_user(user=request.user, action_id=id)
    impacts = impacts_compute(action=action)
    return ImpactsOut(
        action=action.pk,
        communes=impacts.communes,
        structures=[
            AffectedBodyOut(
                id=a.body.id,
                cle=a.body.key,
                nom=a.body.name,
                type=a.body.kind,
                communes=[CommuneRefOut(code=c, nom=n) for c, n in a.communes],
                raisons=a.reasons(action.body.name),
            )
            for a in impacts.bodies
        ],
        dossiers_ouverts=impacts.open_cases,
        conflits=[
            ClashOut(id=c.pk, titre=c.title, structure=_body(c.body), debut=c.start, fin=c.end) for c in impacts.clashes
        ],
    )


@router.get("/avis", response=list[NoticeOut], auth=agent_or_token, summary="Les avis adressés à vos structures")
def notices_list(request: HttpRequest) -> list[NoticeOut]:
    return [notice_out(n) for n in notices_for(request.user)[:500]]


@router.post(
    "/avis/{id}/reponse",
    response={200: NoticeOut, **errors(409)},
    auth=agent_or_token,
    summary="Répondre à un avis : non_concerne, pris_en_compte, adaptation, objection ou question",
    description="Le texte est obligatoire pour adaptation, objection et question. La réponse vaut accusé de "
    "réception (`accuse_reception`). Modifiable jusqu'à l'échéance ; après, une seconde réponse est refusée (409).",
)
def notices_answer(request: HttpRequest, id: int, payload: AnswerIn) -> NoticeOut:  # noqa: A002
    notice = notice_get_for_user(user=request.user, notice_id=id)
    with transaction.atomic():
        notice = notice_answer(actor=request.user, notice=notice, answer=payload.reponse, text=payload.texte)
    return notice_out(notice)


@router.get(
    "/communes/{code}/actions",
    response=list[PublicActionOut],
    summary="Actions publiées en cours ou à venir dans une commune (public)",
)
def commune_actions(request: HttpRequest, code: str) -> list[PublicActionOut]:
    commune = commune_resolve(code).commune
    return [
        PublicActionOut(**_public(a))
        for a in actions_in_commune(code=commune.insee_code, today=timezone.localdate())[:200]
    ]
