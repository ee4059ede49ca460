"""« Vis mon job » over the REST API (issue 13, items 1 and 4): suggestions for the caller's body, opting in, the
pairs and every step of their workflow, the invitation (iCalendar). API tokens act as their body: they read the
body's suggestions and pairs; only people opt in, accept, approve. Thin: validate → service → serialize."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.network.services import interactions_sync

from .calendar import pair_calendar
from .errors import NotYourBody, OutOfOrder
from .models import Pair, PairStatus, Profile
from .permissions import admin_body_ids, bodies_of, pair_for
from .schemas import (
    AgentInscritOut,
    BinomeIn,
    BinomeOut,
    DatesIn,
    InscriptionIn,
    MotifIn,
    RetourIn,
    RetraitInscriptionIn,
    SuggestionsOut,
)
from .selectors import METHOD, my_pairs, profiles_for_partner, suggestions_for_body
from .services import (
    pair_accept,
    pair_approve,
    pair_complete,
    pair_feedback,
    pair_propose,
    pair_refuse,
    pair_schedule,
    pair_withdraw,
    profile_delete,
    profile_save,
)

router = Router(tags=["Vis mon job"])
AUTH: list[Any] = list(agent_or_token)
P = "/vis-mon-job"


class StructureQuery(Schema):
    structure: int | None = None


def _body(request: HttpRequest, body_id: int | None) -> Body:
    """One of the caller's bodies (the first by default); another body is refused."""
    mine = bodies_of(request.user)
    if not mine:
        raise NotYourBody("Vis mon job est réservé aux agents des structures.")
    if body_id is None:
        return sorted(mine, key=lambda b: b.name)[0]
    found = next((b for b in mine if b.pk == body_id), None)
    if found is None:
        raise NotYourBody("Ce n'est pas une de vos structures.", details={"structure": body_id})
    return found


def _ref(body: Body) -> dict[str, Any]:
    return {"id": body.pk, "cle": body.key, "nom": body.name}


def _unit(unit: BodyUnit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "nom": unit.name} if unit else None


def _who(user: Any) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def profile_out(p: Profile) -> dict[str, Any]:
    return {
        "id": p.pk,
        "agent": _who(p.user),
        "structure": _ref(p.body),
        "services": [_unit(u) for u in p.units.all()],
        "metier": p.job,
        "a_montrer": p.can_show,
        "a_decouvrir": p.wants_to_discover,
        "disponibilites": p.availability,
    }


def pair_out(pair: Pair) -> dict[str, Any]:
    scheduled = pair.status in (PairStatus.SCHEDULED, PairStatus.DONE)
    return {
        "id": pair.pk,
        "interne": pair.internal,
        "statut": pair.status,
        "statut_libelle": pair.get_status_display(),
        "a": {
            "agent": _who(pair.a_user),
            "structure": _ref(pair.a_body),
            "service": _unit(pair.a_unit),
            "accepte": True,
            "approuve": pair.a_approved_at is not None or (pair.internal and pair.approved_by_both),
        },
        "b": {
            "agent": _who(pair.b_user),
            "structure": _ref(pair.b_body),
            "service": _unit(pair.b_unit),
            "accepte": pair.b_accepted_at is not None,
            "approuve": pair.b_approved_at is not None or (pair.internal and pair.approved_by_both),
        },
        "message": pair.message,
        "raisons": pair.reasons,
        "debut": pair.start,
        "fin": pair.end,
        "heure_debut": pair.day_start,
        "heure_fin": pair.day_end,
        "lieu": pair.place,
        "sequence": pair.sequence,
        "motif_cloture": pair.closed_reason,
        "convention": f"/vis-mon-job/{pair.pk}/convention/" if scheduled else None,
        "invitation": f"/api/v1/vis-mon-job/binomes/{pair.pk}/invitation.ics" if scheduled else None,
        "retours": [
            {"structure": _ref(f.body), "texte": f.text, "utilite": f.usefulness, "le": f.created_at}
            for f in pair.feedbacks.select_related("body")
        ],
        "etapes": [
            {
                "action": e.action,
                "libelle": e.get_action_display(),
                "le": e.at,
                "structure": e.body.name if e.body else None,
                "detail": e.detail,
            }
            for e in pair.events.select_related("body")
        ],
        "cree_le": pair.created_at,
    }


@router.get(
    f"{P}/suggestions",
    response={200: SuggestionsOut, **errors(403)},
    auth=AUTH,
    summary="Les binômes suggérés à ma structure, chacun avec ses raisons",
    description=METHOD,
)
def suggestions(request: HttpRequest, query: Query[StructureQuery]) -> dict[str, Any]:
    body = _body(request, query.structure)
    interactions_sync()  # the ledger reads what happened since its last run
    items = suggestions_for_body(body=body, today=timezone.localdate())
    return {
        "structure": _ref(body),
        "methode": METHOD,
        "suggestions": [
            {
                "cle": s.key,
                "interne": s.internal,
                "structure": _ref(s.body),
                "autre_structure": _ref(s.other_body),
                "service": _unit(s.unit),
                "autre_service": _unit(s.other_unit),
                "score": s.score,
                "interdependance": s.interdependence,
                "faiblesse": s.weakness,
                "raisons": s.reasons,
                "chiffres": s.figures,
                "agents_inscrits": [profile_out(p) for p in s.agents if p.user_id != request.user.pk],
            }
            for s in items
        ],
    }


@router.get(
    f"{P}/inscriptions",
    response={200: list[AgentInscritOut], **errors(403)},
    auth=AUTH,
    summary="Les agents inscrits à vis mon job (d'une structure, ou de toutes)",
)
def inscriptions(request: HttpRequest, query: Query[StructureQuery]) -> list[dict[str, Any]]:
    _body(request, None)
    body = get_object_or_404(Body, pk=query.structure) if query.structure else None
    return [profile_out(p) for p in profiles_for_partner(body=body)]


@router.post(
    f"{P}/inscription",
    response={200: AgentInscritOut, **errors(403)},
    auth=AUTH,
    summary="M'inscrire à vis mon job (ou modifier mon inscription)",
)
def inscription(request: HttpRequest, payload: InscriptionIn) -> dict[str, Any]:
    body = _body(request, payload.structure)
    units = list(BodyUnit.objects.filter(body=body, pk__in=payload.services))
    if len(units) != len(set(payload.services)):
        raise NotYourBody("Choisissez des services de votre structure.", details={"services": payload.services})
    profile = profile_save(
        user=request.user,
        body=body,
        job=payload.metier,
        can_show=payload.a_montrer,
        wants_to_discover=payload.a_decouvrir,
        availability=payload.disponibilites,
        units=units,
    )
    return profile_out(profile)


@router.post(
    f"{P}/inscription/retrait", response={200: dict, **errors(403)}, auth=AUTH, summary="Me désinscrire de vis mon job"
)
def inscription_retrait(request: HttpRequest, payload: RetraitInscriptionIn) -> dict[str, Any]:
    body = _body(request, payload.structure)
    return {"desinscrit": profile_delete(user=request.user, body=body)}


@router.get(
    f"{P}/binomes",
    response={200: list[BinomeOut], **errors(403)},
    auth=AUTH,
    summary="Mes binômes (administrateur, jeton : ceux de ma structure)",
)
def binomes(request: HttpRequest) -> list[dict[str, Any]]:
    return [pair_out(p) for p in my_pairs(user=request.user, admin_body_ids=admin_body_ids(request.user))]


@router.post(
    f"{P}/binomes",
    response={201: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Proposer un binôme à un agent inscrit",
)
def binome_create(request: HttpRequest, payload: BinomeIn) -> Status:
    partner = get_object_or_404(Profile.objects.select_related("user", "body"), pk=payload.inscription)
    if payload.structure is not None:
        body = _body(request, payload.structure)
    else:
        own = Profile.objects.filter(user=request.user).select_related("body").first()
        body = own.body if own else _body(request, None)
    unit = get_object_or_404(BodyUnit, pk=payload.service, body=body) if payload.service else None
    other = get_object_or_404(BodyUnit, pk=payload.autre_service, body=partner.body) if payload.autre_service else None
    pair = pair_propose(
        actor=request.user,
        body=body,
        partner=partner,
        message=payload.message,
        unit=unit,
        partner_unit=other,
        reasons=payload.raisons,
    )
    return Status(201, pair_out(pair))


@router.get(f"{P}/binomes/{{id}}", response={200: BinomeOut, **errors(404)}, auth=AUTH, summary="Un binôme")
def binome(request: HttpRequest, id: int) -> dict[str, Any]:
    return pair_out(pair_for(request.user, id))


@router.post(
    f"{P}/binomes/{{id}}/acceptation",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Accepter le binôme proposé (l'agent à qui il est proposé)",
)
def acceptation(request: HttpRequest, id: int) -> dict[str, Any]:
    return pair_out(pair_accept(pair=pair_for(request.user, id), actor=request.user))


@router.post(
    f"{P}/binomes/{{id}}/refus",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Refuser le binôme, avec le motif (l'agent sollicité, ou un administrateur)",
)
def refus(request: HttpRequest, id: int, payload: MotifIn) -> dict[str, Any]:
    return pair_out(pair_refuse(pair=pair_for(request.user, id), actor=request.user, reason=payload.motif))


@router.post(
    f"{P}/binomes/{{id}}/retrait",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Se retirer du binôme, avec le motif (l'un des deux agents)",
)
def retrait(request: HttpRequest, id: int, payload: MotifIn) -> dict[str, Any]:
    return pair_out(pair_withdraw(pair=pair_for(request.user, id), actor=request.user, reason=payload.motif))


@router.post(
    f"{P}/binomes/{{id}}/approbation",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Approuver le binôme pour ma structure (son administrateur)",
)
def approbation(request: HttpRequest, id: int) -> dict[str, Any]:
    return pair_out(pair_approve(pair=pair_for(request.user, id), actor=request.user))


@router.post(
    f"{P}/binomes/{{id}}/dates",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Fixer (ou changer) les dates : la convention est prête, les invitations partent",
)
def dates(request: HttpRequest, id: int, payload: DatesIn) -> dict[str, Any]:
    pair = pair_schedule(
        pair=pair_for(request.user, id),
        actor=request.user,
        start=payload.debut,
        end=payload.fin,
        day_start=payload.heure_debut,
        day_end=payload.heure_fin,
        place=payload.lieu,
    )
    return pair_out(pair)


@router.get(
    f"{P}/binomes/{{id}}/invitation.ics",
    response={200: str, **errors(404, 409)},
    auth=AUTH,
    openapi_extra={
        "responses": {
            200: {"description": "iCalendar (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}}
        }
    },
    summary="L'invitation du binôme (iCalendar, fuseau Europe/Paris)",
)
def invitation(request: HttpRequest, id: int) -> HttpResponse:
    pair = pair_for(request.user, id)
    if (
        pair.status not in (PairStatus.SCHEDULED, PairStatus.DONE, PairStatus.WITHDRAWN, PairStatus.REFUSED)
        or not pair.start
    ):
        raise OutOfOrder("Les dates ne sont pas encore fixées : pas d'invitation.", details={"statut": pair.status})
    cancelled = pair.status in (PairStatus.WITHDRAWN, PairStatus.REFUSED)
    response = HttpResponse(pair_calendar(pair, cancel=cancelled), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vis-mon-job-{pair.pk}.ics"'
    return response


@router.post(
    f"{P}/binomes/{{id}}/realisation",
    response={200: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Déclarer l'immersion réalisée (après son dernier jour)",
)
def realisation(request: HttpRequest, id: int) -> dict[str, Any]:
    return pair_out(pair_complete(pair=pair_for(request.user, id), actor=request.user))


@router.post(
    f"{P}/binomes/{{id}}/retour",
    response={201: BinomeOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Laisser mon retour sur l'immersion (chacun des deux agents, une fois)",
)
def retour(request: HttpRequest, id: int, payload: RetourIn) -> Status:
    pair = pair_for(request.user, id)
    pair_feedback(pair=pair, actor=request.user, text=payload.texte, usefulness=payload.utilite)
    return Status(201, pair_out(pair))
