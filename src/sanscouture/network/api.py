"""The cooperation network over the REST API (issue 12, item 6): between the bodies of a territory, between the
services of one body, month by month, the same in CSV, the open-data indicators, and ties' ratings.

Thin: validate → synchronise the ledger → selector → serialize. The figures are about bodies; the network of a
body's services is its own agents' only (a 404 for anyone else)."""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token, anonymous
from sanscouture.apicontract import errors
from sanscouture.cases.models import Handover
from sanscouture.errors import PermissionDeniedError

from . import exports
from .permissions import body_for_internal_network, can_see_networks
from .schemas import EvaluationIn, EvaluationOut, ReseauInterneOut, ReseauOut, TendancesOut
from .selectors import (
    Graph,
    Period,
    Territory,
    network_of_body,
    network_of_territory,
    period_parse,
    territory_of_user,
    territory_parse,
    trends_of_territory,
)
from .services import interactions_sync, tie_rate

router = Router(tags=["Acteur-réseau"])
AUTH: list[Any] = list(agent_or_token)
CSV_RESPONSE = {
    "responses": {200: {"description": "CSV (séparateur ;)", "content": {"text/csv": {"schema": {"type": "string"}}}}}
}
PERIOD_DOC = "Période : `du` et `au` (AAAA-MM-JJ) ; par défaut l'année écoulée ; 5 ans au plus."


class NetworkAccessDenied(PermissionDeniedError):
    code = "reseau_reserve_aux_agents"


class TerritoryQuery(Schema):
    territoire: str | None = Field(
        None,
        max_length=40,
        description="epci:<siren>, departement:<code> ou region:<code> ; par défaut le département de ma structure",
    )
    du: dt.date | None = Field(None, description="Début de la période (AAAA-MM-JJ)")
    au: dt.date | None = Field(None, description="Fin de la période, incluse (AAAA-MM-JJ)")


class PeriodQuery(Schema):
    du: dt.date | None = Field(None, description="Début de la période (AAAA-MM-JJ)")
    au: dt.date | None = Field(None, description="Fin de la période, incluse (AAAA-MM-JJ)")


def _agent(request: HttpRequest) -> None:
    if not can_see_networks(request.user):
        raise NetworkAccessDenied("Le réseau se consulte avec un compte d'agent d'une structure.")


def _territory_and_period(request: HttpRequest, query: TerritoryQuery) -> tuple[Territory, Period]:
    territory = territory_parse(query.territoire) if query.territoire else territory_of_user(request.user)
    period = period_parse(du=query.du, au=query.au, today=timezone.localdate())
    interactions_sync()  # the ledger reads what happened since its last run (incremental, idempotent)
    return territory, period


def reseau_payload(territory: Territory, period: Period, graph: Graph) -> dict[str, Any]:
    return {
        "territoire": {"cle": territory.key, "nom": territory.name},
        "du": period.start,
        "au": period.end,
        "structures": graph.nodes,
        "liens": graph.links,
        "types": graph.groups,
        "explications": graph.explanations,
        "methodes": graph.how,
    }


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@router.get(
    "/reseau",
    response={200: ReseauOut, **errors(403, 404)},
    auth=AUTH,
    summary="Le réseau de coopération entre les structures d'un territoire, sur une période",
    description=f"Structures (avec leurs indicateurs, `isolee` et `courtage`) et liens. {PERIOD_DOC}",
)
def reseau(request: HttpRequest, query: Query[TerritoryQuery]) -> dict[str, Any]:
    _agent(request)
    territory, period = _territory_and_period(request, query)
    return reseau_payload(territory, period, network_of_territory(territory=territory, period=period))


@router.get(
    "/reseau/csv",
    response={200: str, **errors(403, 404)},
    auth=AUTH,
    openapi_extra=CSV_RESPONSE,
    summary="Les indicateurs des structures d'un territoire, en CSV",
)
def reseau_csv(request: HttpRequest, query: Query[TerritoryQuery]) -> HttpResponse:
    _agent(request)
    territory, period = _territory_and_period(request, query)
    graph = network_of_territory(territory=territory, period=period)
    return _csv(exports.nodes_csv(graph.nodes), f"reseau-{territory.kind}-{territory.code}")


@router.get(
    "/reseau/liens/csv",
    response={200: str, **errors(403, 404)},
    auth=AUTH,
    openapi_extra=CSV_RESPONSE,
    summary="Les liens entre les structures d'un territoire (comptes, délais, refus), en CSV",
)
def reseau_liens_csv(request: HttpRequest, query: Query[TerritoryQuery]) -> HttpResponse:
    _agent(request)
    territory, period = _territory_and_period(request, query)
    graph = network_of_territory(territory=territory, period=period)
    return _csv(exports.links_csv(graph.links), f"liens-{territory.kind}-{territory.code}")


@router.get(
    "/reseau/tendances",
    response={200: TendancesOut, **errors(403, 404)},
    auth=AUTH,
    summary="Les tendances mensuelles du réseau d'un territoire",
)
def reseau_tendances(request: HttpRequest, query: Query[TerritoryQuery]) -> dict[str, Any]:
    _agent(request)
    territory, period = _territory_and_period(request, query)
    return {
        "territoire": {"cle": territory.key, "nom": territory.name},
        "du": period.start,
        "au": period.end,
        "mois": trends_of_territory(territory=territory, period=period),
    }


@router.get(
    "/reseau/tendances/csv",
    response={200: str, **errors(403, 404)},
    auth=AUTH,
    openapi_extra=CSV_RESPONSE,
    summary="Les tendances mensuelles du réseau d'un territoire, en CSV",
)
def reseau_tendances_csv(request: HttpRequest, query: Query[TerritoryQuery]) -> HttpResponse:
    _agent(request)
    territory, period = _territory_and_period(request, query)
    rows = trends_of_territory(territory=territory, period=period)
    columns = list(rows[0]) if rows else ["mois"]
    return _csv(exports.to_csv(rows, columns), f"tendances-{territory.kind}-{territory.code}")


@router.get(
    "/reseau/donnees-ouvertes",
    response={200: str, **errors(404)},
    auth=anonymous,
    openapi_extra=CSV_RESPONSE,
    summary="Données ouvertes : les indicateurs des structures d'un territoire, cases de moins de 5 masquées",
    description="Tout effectif de 1 à 4 est laissé vide, ainsi que tout taux ou délai qui permettrait de le "
    "retrouver : le taux de refus est vide si les orientations décidées, refusées ou acceptées sont entre 1 et 4 ; "
    "le délai médian d'acceptation, si les acceptées le sont.",
)
def reseau_open_data(request: HttpRequest, query: Query[TerritoryQuery]) -> HttpResponse:
    territory, period = _territory_and_period(request, query)
    graph = network_of_territory(territory=territory, period=period)
    return _csv(exports.open_data_csv(graph.nodes), f"indicateurs-reseau-{territory.kind}-{territory.code}")


def _internal(request: HttpRequest, id: int, query: PeriodQuery) -> tuple[Any, Period, Graph]:
    body = body_for_internal_network(request.user, id)
    period = period_parse(du=query.du, au=query.au, today=timezone.localdate())
    interactions_sync()
    return body, period, network_of_body(body=body, period=period)


@router.get(
    "/structures/{id}/reseau-interne",
    response={200: ReseauInterneOut, **errors(404)},
    auth=AUTH,
    summary="Le réseau entre les services d'une de mes structures (ses agents seulement)",
    description=PERIOD_DOC,
)
def reseau_interne(request: HttpRequest, id: int, query: Query[PeriodQuery]) -> dict[str, Any]:
    body, period, graph = _internal(request, id, query)
    return {
        "structure": {"cle": body.key, "nom": body.name},
        "du": period.start,
        "au": period.end,
        "services": graph.nodes,
        "liens": graph.links,
        "directions": graph.groups,
        "explications": graph.explanations,
        "methodes": graph.how,
    }


@router.get(
    "/structures/{id}/reseau-interne/csv",
    response={200: str, **errors(404)},
    auth=AUTH,
    openapi_extra=CSV_RESPONSE,
    summary="Les indicateurs des services d'une de mes structures, en CSV",
)
def reseau_interne_csv(request: HttpRequest, id: int, query: Query[PeriodQuery]) -> HttpResponse:
    body, _, graph = _internal(request, id, query)
    return _csv(exports.nodes_csv(graph.nodes), f"reseau-interne-{body.pk}")


@router.post(
    "/orientations/{handover_id}/evaluation",
    response={201: EvaluationOut, **errors(403, 404, 409)},
    auth=AUTH,
    summary="Évaluer le lien avec l'autre structure d'une orientation décidée (6 items PARTNER, 1 à 4)",
    description="Facultatif ; une fois par couple de structures et par mois.",
)
def evaluation(request: HttpRequest, handover_id: int, payload: EvaluationIn) -> Status:
    mine = Q(from_body__memberships__user=request.user) | Q(to_body__memberships__user=request.user)
    handover = get_object_or_404(Handover.objects.filter(mine).distinct(), pk=handover_id)
    rating = tie_rate(handover=handover, actor=request.user, scores=payload.model_dump())
    return Status(
        201,
        {
            "id": rating.pk,
            "orientation": handover.pk,
            "structure": rating.rater_body_id,
            "structure_evaluee": rating.rated_body_id,
            "mois": f"{rating.month:%Y-%m}",
            "confiance": round(rating.trust, 2),
            "valeur": round(rating.value, 2),
        },
    )
