import datetime as dt
import json
from functools import lru_cache

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body
from sanscouture.bodies.services import pivot_labels
from sanscouture.territories.selectors import commune_resolve

from .catalogue import catalogue
from .models import Exercise
from .routing import (
    BodyInfo,
    Reason,
    Routing,
    check_pivot,
    communes_served,
    disagreement,
    place_at,
    place_or_none,
    route,
    route_all,
    route_pivot,
    routing_code,
)
from .schemas import (
    BodyOut,
    CommuneCompetencesOut,
    CompetenceOut,
    ContactOut,
    DeclarationIn,
    DeclarationOut,
    GuichetsOut,
    OtherSourceOut,
    PivotOut,
    ReasonOut,
    ReferenceOut,
    RoutingOut,
    StructureOut,
)
from .services import exercise_declare

router = Router(tags=["Compétences"])


class DateParam(Schema):
    date: dt.date | None = None


class PivotParams(DateParam):
    pivot: str


def body_out(b: BodyInfo) -> BodyOut:
    return BodyOut(id=b.id, cle=b.key, nom=b.name, type=b.kind)


def reason_out(r: Routing) -> ReasonOut:
    return ReasonOut(
        type=r.reason.kind,
        explication=r.reason.text,
        references=list(r.reason.references),
        declaration=r.reason.exercise_id,
        references_verifiees=r.reason.verified,
        desaccord=disagreement(r),
        autres_sources=[
            OtherSourceOut(type=o.reason.kind, structures=[body_out(b) for b in o.bodies], explication=o.reason.text)
            for o in r.others
        ],
    )


def routing_out(r: Routing) -> RoutingOut:
    return RoutingOut(
        competence=r.subject, libelle=r.label, structures=[body_out(b) for b in r.bodies], raison=reason_out(r)
    )


@router.get("/competences", response=list[CompetenceOut], summary="Le catalogue des compétences")
def competences_list(request: HttpRequest) -> list[CompetenceOut]:
    return [
        CompetenceOut(
            code=c.code,
            libelle=c.label,
            theme=c.theme,
            description=c.description,
            pivots=list(c.pivots),
            references=[
                ReferenceOut(code=r.code, article=r.article, note=r.note, verifiee=r.verified) for r in c.references
            ],
        )
        for c in catalogue().competences.values()
    ]


@router.get("/pivots", response=list[PivotOut], summary="Les types de guichet (pivots service-public.fr)")
def pivots_list(request: HttpRequest) -> list[PivotOut]:
    return [PivotOut(code=k, libelle=v) for k, v in sorted(pivot_labels().items())]


@router.get(
    "/communes/{code}/competences",
    response=CommuneCompetencesOut,
    summary="Qui fait quoi : chaque compétence, la structure compétente et la raison",
)
def commune_competences(request: HttpRequest, code: str, params: Query[DateParam]) -> HttpResponse:
    # Hot path: a current code is answered from the routing index without a query, and the JSON is joined
    # from cached fragments (the response schema documents it; building 180 schema objects per request cost
    # 10× the routing itself, see benchmarks/README.md).
    on = params.date or dt.date.today()
    pl = place_or_none(code)
    if pl is not None:
        commune, message = pl.insee_code, _arrondissement_message(pl.parent)
    else:
        res = commune_resolve(code)
        commune, message = routing_code(res.requested_code, res.commune.insee_code, on), res.message
        if commune == res.requested_code:
            message = f"Le code {commune} désigne, au {on:%d/%m/%Y}, la commune de l'époque : réponses pour elle."
    name = place_at(commune, on).name
    answers = route_all(commune=commune, on=on)
    head = json.dumps(
        {"commune": commune, "nom": name, "date": on.isoformat(), "message": message}, ensure_ascii=False
    )[:-1]
    items = ",".join(
        f'{_head_json(r.subject, r.label)},"structures":[{",".join(_body_json(b) for b in r.bodies)}],'
        f'"raison":{_reason_json(r.reason) if not r.others else _others_json(r)}}}'
        for r in answers
    )
    return HttpResponse(f'{head},"competences":[{items}]}}', content_type="application/json")


def _arrondissement_message(parent: str | None) -> str:
    if not parent:
        return ""
    return (
        f"Arrondissement municipal de la commune {parent} : sa mairie d'arrondissement exerce ce que la loi lui "
        "confie (état civil, obligation scolaire : CGCT L2511-26) ; la commune exerce le reste."
    )


def _others_json(r: Routing) -> str:
    return json.dumps(reason_out(r).model_dump(), ensure_ascii=False)


# Answers share their bodies and reasons: each is serialized once, then the response is joined from fragments.
@lru_cache(maxsize=1024)
def _head_json(subject: str, label: str) -> str:
    return json.dumps({"competence": subject, "libelle": label}, ensure_ascii=False)[:-1]


@lru_cache(maxsize=65536)
def _body_json(b: BodyInfo) -> str:
    return json.dumps({"id": b.id, "cle": b.key, "nom": b.name, "type": b.kind}, ensure_ascii=False)


@lru_cache(maxsize=8192)
def _reason_json(r: Reason) -> str:
    return json.dumps(
        {
            "type": r.kind,
            "explication": r.text,
            "references": list(r.references),
            "declaration": r.exercise_id,
            "references_verifiees": r.verified,
            "desaccord": "",
            "autres_sources": [],
        },
        ensure_ascii=False,
    )


@router.get(
    "/communes/{code}/competences/{competence}",
    response=RoutingOut,
    summary="Qui est compétent pour une compétence dans une commune",
)
def commune_competence(request: HttpRequest, code: str, competence: str, params: Query[DateParam]) -> RoutingOut:
    comp = catalogue().get(competence)
    if place_or_none(code) is not None:  # a current commune or an arrondissement municipal
        return routing_out(route(comp, commune=code, on=params.date))
    res = commune_resolve(code)
    commune = routing_code(res.requested_code, res.commune.insee_code, params.date)
    return routing_out(route(comp, commune=commune, on=params.date))


@router.get(
    "/communes/{code}/guichets",
    response=GuichetsOut,
    summary="Les structures qui répondent pour un type de guichet (pivot) dans une commune",
)
def commune_guichets(request: HttpRequest, code: str, params: Query[PivotParams]) -> GuichetsOut:
    pivot = check_pivot(params.pivot)
    res = commune_resolve(code)
    r = route_pivot(pivot, commune=res.commune.insee_code, on=params.date)
    return GuichetsOut(
        pivot=r.subject, libelle=r.label, structures=[body_out(b) for b in r.bodies], raison=reason_out(r)
    )


def declaration_out(ex: Exercise) -> DeclarationOut:
    b = ex.body
    return DeclarationOut(
        id=ex.pk,
        structure=BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind),
        competence=ex.competence,
        communes=sorted(c.insee_code for c in ex.communes.all()),
        debut=ex.start,
        fin=ex.end,
        fondement=ex.basis,
        reference=ex.reference,
    )


@router.get("/declarations", response=list[DeclarationOut], summary="Les déclarations d'exercice en vigueur")
def declarations_list(request: HttpRequest, structure: int | None = None) -> list[DeclarationOut]:
    qs = Exercise.objects.filter(withdrawn_at__isnull=True).select_related("body").prefetch_related("communes")
    if structure is not None:
        qs = qs.filter(body_id=structure)
    return [declaration_out(ex) for ex in qs[:500]]


@router.post(
    "/declarations",
    response={201: DeclarationOut, **errors(409)},
    auth=agent_or_token,
    summary="Déclarer l'exercice d'une compétence (agent habilité de la structure, ou son jeton d'API)",
)
def declarations_create(request: HttpRequest, payload: DeclarationIn) -> Status[DeclarationOut]:
    body = get_object_or_404(Body.objects.active(), pk=payload.structure)
    communes = [commune_resolve(code).commune for code in dict.fromkeys(payload.communes)]
    with transaction.atomic():
        ex = exercise_declare(
            body=body,
            competence=payload.competence,
            communes=communes,
            start=payload.debut,
            end=payload.fin,
            basis=payload.fondement,
            reference=payload.reference,
            actor=request.user,
        )
    return Status(201, declaration_out(ex))


@router.get(
    "/structures/{structure_id}",
    response=StructureOut,
    summary="Une structure publique",
    description="Types de guichet auxquels elle répond, fondement, coordonnées (null = inconnues) et "
    "communes desservies (celles pour lesquelles le routage l'indique).",
)
def structure_detail(request: HttpRequest, structure_id: int) -> StructureOut:
    b = get_object_or_404(Body, pk=structure_id)
    served = communes_served(b.key) if b.active else ()
    return StructureOut(
        id=b.pk,
        cle=b.key,
        nom=b.name,
        type=b.kind,
        type_libelle=b.get_kind_display(),
        siren=b.siren or None,
        pivots=b.pivots,
        fondement=b.basis,
        active=b.active,
        source=b.source,
        contact=ContactOut(
            adresses=b.addresses or None,
            telephones=b.phones or None,
            courriels=b.emails or None,
            sites=b.websites or None,
            horaires=b.opening_hours or None,
            fiche_annuaire=b.annuaire_url or None,
        ),
        nombre_communes_desservies=len(served),
        communes_desservies=list(served),
    )
