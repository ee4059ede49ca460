"""Gatherings over the REST API (issue 13, items 2–4): `/api/v1/rencontres`. Thin: validate → service/selector →
serialize. API tokens act as their body (a token lists, creates and manages its body's gatherings; a reply is a
person's own, by their session or their private link)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field as NinjaField
from ninja import Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token, anonymous
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body
from sanscouture.competences.schemas import BodyOut
from sanscouture.network.services import interactions_sync

from .errors import GatheringNotAllowed
from .ics import gathering_ics
from .models import Gathering, Invitation
from .panels import effect_for_bodies, effect_of_territory, reply_message
from .permissions import gathering_or_404, own_invitation_or_404
from .schemas import (
    AnnulationIn,
    EffetOut,
    EffetTerritoireOut,
    PresencesIn,
    PresencesOut,
    RencontreIn,
    RencontreListeOut,
    RencontreOut,
    RencontreUpdateIn,
    ReponseIn,
    ReponseOut,
)
from .selectors import can_manage, counts, gatherings_for, invited_rows, my_invitations
from .services import (
    attendance_record,
    gathering_cancel,
    gathering_create,
    gathering_update,
    invitation_by_token,
    invitation_reply,
)

router = Router(tags=["Rencontres"])
AUTH: list[Any] = list(agent_or_token)
ICS_RESPONSE = {
    "responses": {
        200: {"description": "iCalendar (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}}
    }
}


def _body(b: Body) -> BodyOut:
    return BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind)


def _invitation(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "agent": i.user.get_full_name() or i.user.get_username(),
        "structure": _body(i.body),
        "reponse": i.state,
        "repondu_le": i.replied_at,
        "present": i.attended,
    }


def rencontre_out(g: Gathering, user: Any) -> dict[str, Any]:
    manage = can_manage(user, g)
    return {
        "id": g.pk,
        "titre": g.title,
        "description": g.description,
        "lieu": g.place,
        "debut": g.starts_at,
        "fin": g.ends_at,
        "capacite": g.capacity,
        "statut": g.status,
        "organisatrice": _body(g.organiser),
        "territoire": g.territory,
        "territoire_nom": g.territory_name,
        "sequence": g.sequence,
        "uid": g.uid,
        "reponses": counts(g),
        "mes_invitations": [_invitation(i) for i in my_invitations(user, g)],
        "structures_invitees": [{"structure": _body(r.body), "raison": r.reason} for r in invited_rows(g)],
        "invitations": [_invitation(i) for i in g.invitations.select_related("user", "body")] if manage else None,
        "gerable": manage,
    }


def _list_row(g: Gathering) -> dict[str, Any]:
    return {
        "id": g.pk,
        "titre": g.title,
        "lieu": g.place,
        "debut": g.starts_at,
        "fin": g.ends_at,
        "capacite": g.capacity,
        "statut": g.status,
        "organisatrice": _body(g.organiser),
        "territoire_nom": g.territory_name,
        "confirmes": g.confirmed,
        "liste_attente": g.waiting,
    }


@router.get(
    "/rencontres",
    response={200: list[RencontreListeOut]},
    auth=AUTH,
    summary="Les rencontres que mes structures organisent ou auxquelles elles sont invitées",
)
def rencontres(request: HttpRequest) -> list[dict[str, Any]]:
    return [_list_row(g) for g in gatherings_for(request.user)[:500]]


@router.post(
    "/rencontres",
    response={201: RencontreOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Organiser une rencontre ouverte aux agents de toutes les structures d'un territoire",
    description="Invite par courriel (avec le fichier de calendrier) les agents des mairies des communes, de "
    "l'intercommunalité et des structures compétentes sur le territoire. Date passée, fin avant le début : 400, "
    "rien n'est créé.",
)
def rencontre_create(request: HttpRequest, payload: RencontreIn) -> Status:
    body = Body.objects.filter(pk=payload.structure, active=True).first()
    if body is None:
        raise GatheringNotAllowed("Structure inconnue ou dont vous n'êtes pas membre.")
    g = gathering_create(
        organiser=body,
        actor=request.user,
        title=payload.titre,
        place=payload.lieu,
        starts_at=payload.debut,
        ends_at=payload.fin,
        description=payload.description,
        capacity=payload.capacite,
        territory=payload.territoire,
    )
    return Status(201, rencontre_out(g, request.user))


@router.get(
    "/rencontres/effet",
    response={200: EffetOut},
    auth=AUTH,
    summary="L'effet des rencontres et des vis mon job pour les structures que j'administre",
    description="Interactions 3 et 6 mois avant et après, à côté de structures comparables qui n'ont participé à "
    "rien ; différence des différences et précautions de lecture.",
)
def effet(request: HttpRequest) -> dict[str, Any]:
    interactions_sync()
    return effect_for_bodies(request.user, today=timezone.localdate())


class TerritoireQuery(Schema):
    territoire: str | None = NinjaField(None, max_length=40, description="epci:<siren> ou departement:<code>")


@router.get(
    "/rencontres/effet/territoire",
    response={200: EffetTerritoireOut, **errors(403, 404)},
    auth=AUTH,
    summary="L'effet agrégé des rencontres et des vis mon job d'un territoire",
)
def effet_territoire(request: HttpRequest, query: Query[TerritoireQuery]) -> dict[str, Any]:
    interactions_sync()
    return effect_of_territory(request.user, query.territoire, today=timezone.localdate())


@router.get(
    "/rencontres/{id}",
    response={200: RencontreOut, **errors(404)},
    auth=AUTH,
    summary="Une rencontre : réponses, capacité, structures invitées",
)
def rencontre(request: HttpRequest, id: int) -> dict[str, Any]:
    return rencontre_out(gathering_or_404(request.user, id), request.user)


@router.get(
    "/rencontres/{id}/invitation.ics",
    response={200: str, **errors(404)},
    auth=AUTH,
    openapi_extra=ICS_RESPONSE,
    summary="Le fichier de calendrier de la rencontre (même UID à chaque mise à jour ; METHOD:CANCEL si annulée)",
)
def rencontre_ics(request: HttpRequest, id: int) -> HttpResponse:
    g = gathering_or_404(request.user, id)
    email = getattr(request.user, "email", "") if not getattr(request, "api_token", None) else ""
    response = HttpResponse(gathering_ics(g, attendee_email=email), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rencontre-{g.pk}.ics"'
    return response


@router.post(
    "/rencontres/{id}/modification",
    response={200: RencontreOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Modifier une rencontre à venir (mise à jour envoyée à tous les invités : même UID, SEQUENCE + 1)",
)
def rencontre_update(request: HttpRequest, id: int, payload: RencontreUpdateIn) -> dict[str, Any]:
    g = gathering_or_404(request.user, id)
    data = payload.model_dump(exclude_unset=True)
    g = gathering_update(
        gathering=g,
        actor=request.user,
        title=data.get("titre"),
        place=data.get("lieu"),
        starts_at=data.get("debut"),
        ends_at=data.get("fin"),
        description=data.get("description"),
        capacity=data.get("capacite", ...),
    )
    return rencontre_out(gathering_or_404(request.user, g.pk), request.user)


@router.post(
    "/rencontres/{id}/annulation",
    response={200: RencontreOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Annuler une rencontre à venir (METHOD:CANCEL envoyé à tous les invités)",
)
def rencontre_cancel(request: HttpRequest, id: int, payload: AnnulationIn) -> dict[str, Any]:
    g = gathering_cancel(gathering=gathering_or_404(request.user, id), actor=request.user, reason=payload.motif)
    return rencontre_out(gathering_or_404(request.user, g.pk), request.user)


@router.post(
    "/rencontres/{id}/reponse",
    response={200: ReponseOut, **errors(404, 409)},
    auth=AUTH,
    summary="Répondre à mon invitation : oui, non ou peut_etre",
    description="Au-delà de la capacité, un oui va en liste d'attente (`reponse`: liste_attente), promu quand une "
    "place se libère. Après le début de la rencontre : 409, rien ne change.",
)
def rencontre_reply(request: HttpRequest, id: int, payload: ReponseIn) -> dict[str, Any]:
    inv = own_invitation_or_404(request.user, gathering_or_404(request.user, id))
    inv = invitation_reply(invitation=inv, reply=payload.reponse)
    return {"rencontre": inv.gathering_id, "invitation": inv.pk, "reponse": inv.state, "message": reply_message(inv)}


@router.post(
    "/rencontres/{id}/presences",
    response={200: PresencesOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Noter les présents (l'organisatrice) : chaque structure venue devient une interaction du réseau",
)
def rencontre_attendance(request: HttpRequest, id: int, payload: PresencesIn) -> dict[str, Any]:
    g = gathering_or_404(request.user, id)
    done = attendance_record(gathering=g, actor=request.user, present=set(payload.presents))
    return {"rencontre": g.pk, **done}


@router.get(
    "/rencontres/invitation/{token}",
    response={200: RencontreOut, **errors(404)},
    auth=anonymous,
    summary="Une invitation par son lien privé (sans connexion)",
)
def invitation_get(request: HttpRequest, token: str) -> dict[str, Any]:
    inv = invitation_by_token(token)
    if inv is None:
        from django.http import Http404

        raise Http404
    out = rencontre_out(inv.gathering, inv.user) | {"invitations": None, "gerable": False}
    out["mes_invitations"] = [_invitation(inv)]
    return out


@router.post(
    "/rencontres/invitation/{token}/reponse",
    response={200: ReponseOut, **errors(404, 409)},
    auth=anonymous,
    summary="Répondre par le lien privé de l'invitation : oui, non ou peut_etre",
)
def invitation_answer(request: HttpRequest, token: str, payload: ReponseIn) -> dict[str, Any]:
    inv = invitation_by_token(token)
    if inv is None:
        from django.http import Http404

        raise Http404
    inv = invitation_reply(invitation=inv, reply=payload.reponse)
    return {"rencontre": inv.gathering_id, "invitation": inv.pk, "reponse": inv.state, "message": reply_message(inv)}
