from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.bodies.models import Body
from sanscouture.catalogue.models import LifeEvent
from sanscouture.catalogue.selectors import life_event_get, life_events
from sanscouture.competences.routing import BodyInfo
from sanscouture.competences.schemas import BodyOut

from .models import LocalStep
from .schemas import (
    AnswerOut,
    ChoiceOut,
    CompetentOut,
    JourneyCommuneOut,
    JourneyIn,
    JourneyOut,
    LifeEventOut,
    LifeEventSummaryOut,
    LinkedJourneyOut,
    LocalStepIn,
    LocalStepOut,
    QuestionOut,
)
from .selectors import FicheRef, Journey, Link, Office, OnlineService, journey_compute
from .services import local_step_add, local_step_withdraw

router = Router(tags=["Moments de vie"])


def summary_out(le: LifeEvent) -> LifeEventSummaryOut:
    return LifeEventSummaryOut(
        id=le.slug,
        publication=le.publication_id,
        titre=le.publication.title,
        public=le.audience,
        questionnaire=bool(le.questionnaire),
        url=le.publication.url,
    )


def _body(b: BodyInfo) -> BodyOut:
    return BodyOut(id=b.id, cle=b.key, nom=b.name, type=b.kind)


@router.get("/moments-de-vie", response=list[LifeEventSummaryOut], summary="Les moments de vie (« Comment faire si »)")
def life_events_list(request: HttpRequest, public: str | None = None) -> list[LifeEventSummaryOut]:
    return [summary_out(le) for le in life_events(public)]


@router.get(
    "/moments-de-vie/{life_event}",
    response=LifeEventOut,
    summary="Un moment de vie et son questionnaire",
    description="Identifiants stables des questions et des choix ; titres des choix tels que publiés.",
)
def life_event_detail(request: HttpRequest, life_event: str) -> LifeEventOut:
    le = life_event_get(life_event)
    return LifeEventOut(
        **summary_out(le).dict(),
        description=le.publication.description,
        questions=[
            QuestionOut(
                id=q["id"],
                titre=q["title"],
                aide=q.get("help") or "",
                choix=[ChoiceOut(id=c["id"], titre=c["title"]) for c in q["choices"]],
            )
            for q in le.questionnaire
        ],
    )


# Content node keys (catalogue.parsing, CONTENT_FORMAT) → API field names.
_NODE_FIELDS = {
    "title": "titre",
    "text": "texte",
    "kind": "genre",
    "style": "style",
    "target": "fiche",
    "url": "url",
    "ref": "reference",
    "header": "entete",
    "columns": "colonnes",
    "pivot": "pivot",
    "login": "connexion",
}


def node_out(node: dict[str, Any]) -> dict[str, Any]:
    """A content node as the API's `NoeudOut` (a plain dict: ninja validates it once, with the response)."""
    out: dict[str, Any] = {"type": node["type"]}
    for key, name in _NODE_FIELDS.items():
        if node.get(key) is not None and node.get(key) != "":
            out[name] = node[key]
    if node["type"] == "inconnu":
        out["genre"] = node.get("name")
    if node["type"] == "service" and node.get("title"):
        out.setdefault("texte", node["title"])
    children = node.get("inline") or node.get("children") or []
    out["enfants"] = [node_out(c) for c in children]
    return out


def _service(x: OnlineService) -> dict[str, Any]:
    return {"id": x.id, "titre": x.title, "url": x.url, "type": x.kind, "connexion": x.login, "source": x.source}


def _link(x: Link) -> dict[str, Any]:
    return {"titre": x.title, "url": x.url, "source": x.source}


def _fiche(f: FicheRef) -> dict[str, Any]:
    return {
        "id": f.id,
        "titre": f.title,
        "url": f.url,
        "type": f.kind,
        "pivots": list(f.pivots),
        "description": f.description,
        "services_en_ligne": [_service(x) for x in f.services],
        "pour_en_savoir_plus": [_link(x) for x in f.more_info],
    }


def _office(o: Office) -> dict[str, Any]:
    return {
        "pivot": o.pivot,
        "libelle": o.label,
        "classe": o.office_class,
        "libelle_classe": o.class_label,
        "structures": [_body(b) for b in o.bodies],
        "raison": o.reason,
        "lien": o.link_url,
        "libelle_lien": o.link_label,
        "service_en_ligne": {"titre": o.online_title, "url": o.online_url, "source": ""} if o.online_url else None,
        "ancien_nom": o.renamed,
        "note": o.note,
        "comment_trouver": o.how_to_find,
    }


def journey_out(j: Journey) -> JourneyOut:
    def linked(items):  # noqa: ANN001, ANN202
        return [LinkedJourneyOut(id=x.slug, publication=x.publication_id, titre=x.title) for x in items]

    b = j.before
    return JourneyOut(
        moment_de_vie=summary_out(j.life_event),
        commune=JourneyCommuneOut(code=j.commune.insee_code, nom=j.commune.name, message=j.commune_message),
        date=j.on,
        reponses=[AnswerOut(question=q, choix=c) for q, c in j.answers],
        questions_sans_reponse=[{"question": u.question, "non_affiche": list(u.left_out)} for u in j.unanswered],
        avant_de_commencer={
            "introduction": [node_out(n) for n in b.introduction],
            "services_en_ligne": [_service(x) for x in b.services],
            "pour_en_savoir_plus": [_link(x) for x in b.more_info],
            "questions_reponses": [_fiche(f) for f in b.questions],
            "parcours_lies": linked(b.linked_journeys),
            "guichets": [_office(o) for o in b.offices],
            "contacts": [node_out(n) for n in b.contacts],
            "avertissements": [node_out(n) for n in b.notices],
        },
        etapes=[
            {
                "numero": s.number,
                "titre": s.title,
                "phase": s.phase,
                "delai": s.deadline,
                "contenu": [node_out(n) for n in s.content],
                "texte": s.paragraphs,
                "fiches": [_fiche(f) for f in s.fiches],
                "services_en_ligne": [_service(x) for x in s.services],
                "guichets": [_office(o) for o in s.offices],
                "competences": [
                    CompetentOut(
                        fiche=c.fiche,
                        competence=c.competence,
                        libelle=c.label,
                        structures=[_body(b) for b in c.bodies],
                        raison=c.reason,
                        differe_du_guichet=c.differs_from_pivot,
                        guichet_de_la_fiche=c.named_by_fiche,
                    )
                    for c in s.competent
                ],
                "parcours_lies": linked(s.linked_journeys),
                "structure_locale": _body(s.local_body) if s.local_body else None,
                "lien": s.url,
            }
            for s in j.steps
        ],
        parcours_lies=linked(j.linked_journeys),
        glossaire=[{"reference": k, "terme": v["title"], "definition": v["text"]} for k, v in j.glossary.items()],
        avertissements=j.warnings,
    )


@router.post(
    "/moments-de-vie/{life_event}/parcours",
    response=JourneyOut,
    summary="Le parcours : chaque étape, avec la structure compétente dans la commune",
)
def journey(request: HttpRequest, life_event: str, payload: JourneyIn) -> JourneyOut:
    return journey_out(
        journey_compute(life_event=life_event, choices=payload.choix, commune=payload.commune, on=payload.date)
    )


def local_step_out(step: LocalStep) -> LocalStepOut:
    return LocalStepOut(
        id=step.pk,
        structure=_body(BodyInfo(id=step.body.pk, key=step.body.key, name=step.body.name, kind=step.body.kind)),
        moment_de_vie=step.life_event,
        titre=step.title,
        description=step.description,
        lien=step.url,
        debut=step.start,
        fin=step.end,
    )


@router.get("/etapes-locales", response=list[LocalStepOut], summary="Les étapes locales en vigueur")
def local_steps_list(
    request: HttpRequest, moment_de_vie: str | None = None, structure: int | None = None
) -> list[LocalStepOut]:
    qs = LocalStep.objects.filter(withdrawn_at__isnull=True, body__active=True).select_related("body")
    if moment_de_vie:
        qs = qs.filter(life_event=life_event_get(moment_de_vie).publication_id)
    if structure is not None:
        qs = qs.filter(body_id=structure)
    return [local_step_out(s) for s in qs[:500]]


@router.post(
    "/etapes-locales",
    response={201: LocalStepOut},
    auth=agent_or_token,
    summary="Ajouter une étape locale à un moment de vie (agent habilité de la structure)",
)
def local_steps_create(request: HttpRequest, payload: LocalStepIn) -> Status[LocalStepOut]:
    body = get_object_or_404(Body.objects.active(), pk=payload.structure)
    with transaction.atomic():
        step = local_step_add(
            body=body,
            life_event=payload.moment_de_vie,
            title=payload.titre,
            description=payload.description,
            url=payload.lien,
            start=payload.debut,
            end=payload.fin,
            actor=request.user,
        )
    return Status(201, local_step_out(step))


@router.post(
    "/etapes-locales/{step_id}/retrait", response=LocalStepOut, auth=agent_or_token, summary="Retirer une étape locale"
)
def local_steps_withdraw(request: HttpRequest, step_id: int) -> LocalStepOut:
    step = get_object_or_404(LocalStep.objects.filter(withdrawn_at__isnull=True).select_related("body"), pk=step_id)
    return local_step_out(local_step_withdraw(step=step, actor=request.user))
