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
    FicheOut,
    JourneyCommuneOut,
    JourneyIn,
    JourneyOut,
    LifeEventOut,
    LifeEventSummaryOut,
    LinkedJourneyOut,
    LocalStepIn,
    LocalStepOut,
    OfficeOut,
    OnlineServiceOut,
    QuestionOut,
    StepOut,
)
from .selectors import Journey, journey_compute
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


def journey_out(j: Journey) -> JourneyOut:
    def linked(items):  # noqa: ANN001, ANN202
        return [LinkedJourneyOut(id=x.slug, publication=x.publication_id, titre=x.title) for x in items]

    return JourneyOut(
        moment_de_vie=summary_out(j.life_event),
        commune=JourneyCommuneOut(code=j.commune.insee_code, nom=j.commune.name, message=j.commune_message),
        date=j.on,
        reponses=[AnswerOut(question=q, choix=c) for q, c in j.answers],
        etapes=[
            StepOut(
                numero=s.number,
                titre=s.title,
                phase=s.phase,
                texte=s.paragraphs,
                fiches=[
                    FicheOut(id=f.id, titre=f.title, url=f.url, type=f.kind, pivots=list(f.pivots)) for f in s.fiches
                ],
                services_en_ligne=[
                    OnlineServiceOut(
                        **{"id": x.get("id"), "titre": x.get("title"), "url": x.get("url"), "type": x.get("type")}
                    )
                    for x in s.services
                ],
                guichets=[
                    OfficeOut(
                        pivot=o.pivot,
                        libelle=o.label,
                        structures=[_body(b) for b in o.bodies],
                        raison=o.reason,
                        comment_trouver=o.how_to_find,
                    )
                    for o in s.offices
                ],
                competences=[
                    CompetentOut(
                        fiche=c.fiche,
                        competence=c.competence,
                        libelle=c.label,
                        structures=[_body(b) for b in c.bodies],
                        raison=c.reason,
                        differe_du_guichet=c.differs_from_pivot,
                    )
                    for c in s.competent
                ],
                parcours_lies=linked(s.linked_journeys),
                structure_locale=_body(s.local_body) if s.local_body else None,
                lien=s.url,
            )
            for s in j.steps
        ],
        parcours_lies=linked(j.linked_journeys),
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
