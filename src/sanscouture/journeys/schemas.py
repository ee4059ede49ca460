import datetime as dt

from ninja import Field, Schema

from sanscouture.competences.schemas import BodyOut


class LifeEventSummaryOut(Schema):
    id: str = Field(description="Identifiant stable (slug)")
    publication: str = Field(description="Identifiant de la fiche service-public.fr, par exemple F14128")
    titre: str
    public: str
    questionnaire: bool
    url: str


class ChoiceOut(Schema):
    id: str
    titre: str


class QuestionOut(Schema):
    id: str
    titre: str
    aide: str
    choix: list[ChoiceOut]


class LifeEventOut(LifeEventSummaryOut):
    description: str
    questions: list[QuestionOut]


class JourneyIn(Schema):
    commune: str = Field(max_length=120, description="Code INSEE de la commune")
    choix: list[str] = Field(default_factory=list, max_length=50, description="Identifiants des choix")
    date: dt.date | None = None


class FicheOut(Schema):
    id: str
    titre: str
    url: str
    type: str
    pivots: list[str]


class OfficeOut(Schema):
    pivot: str
    libelle: str
    structures: list[BodyOut]
    raison: str
    comment_trouver: str


class CompetentOut(Schema):
    fiche: str
    competence: str
    libelle: str
    structures: list[BodyOut]
    raison: str
    differe_du_guichet: bool


class LinkedJourneyOut(Schema):
    id: str
    publication: str
    titre: str


class OnlineServiceOut(Schema):
    id: str | None
    titre: str | None
    url: str | None
    type: str | None


class StepOut(Schema):
    numero: int
    titre: str
    phase: str
    texte: list[str]
    fiches: list[FicheOut]
    services_en_ligne: list[OnlineServiceOut]
    guichets: list[OfficeOut]
    competences: list[CompetentOut]
    parcours_lies: list[LinkedJourneyOut]
    structure_locale: BodyOut | None
    lien: str


class AnswerOut(Schema):
    question: str
    choix: str


class JourneyCommuneOut(Schema):
    code: str
    nom: str
    message: str


class JourneyOut(Schema):
    moment_de_vie: LifeEventSummaryOut
    commune: JourneyCommuneOut
    date: dt.date
    reponses: list[AnswerOut]
    etapes: list[StepOut]
    parcours_lies: list[LinkedJourneyOut]
    avertissements: list[str]


class LocalStepIn(Schema):
    structure: int
    moment_de_vie: str = Field(max_length=120, description="Identifiant (je-demenage) ou fiche (F14128)")
    titre: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    lien: str = Field("", max_length=200)
    debut: dt.date
    fin: dt.date | None = None


class LocalStepOut(Schema):
    id: int
    structure: BodyOut
    moment_de_vie: str
    titre: str
    description: str
    lien: str
    debut: dt.date
    fin: dt.date | None
