from django.http import HttpRequest
from ninja import Router

from sanscouture.catalogue.models import LifeEvent
from sanscouture.catalogue.selectors import life_event_get, life_events
from sanscouture.competences.routing import BodyInfo
from sanscouture.competences.schemas import BodyOut

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
    OfficeOut,
    OnlineServiceOut,
    QuestionOut,
    StepOut,
)
from .selectors import Journey, journey_compute

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
