import datetime as dt
from typing import Literal

from ninja import Field, Schema

from sanscouture.catalogue.parsing import BLOCK_TYPES, RUN_TYPES
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


NodeType = Literal[BLOCK_TYPES + RUN_TYPES]  # type: ignore[valid-type] (the content format's node types)


class NoeudOut(Schema):
    """One node of the official content, as a tree: blocks hold blocks; a paragraph holds its runs of text, links
    and glossary terms in reading order (`enfants`)."""

    type: NodeType
    titre: str | None = Field(None, description="Titre (chapitre, cas, encadré, tableau…)")
    texte: str | None = Field(None, description="Texte d'un morceau de paragraphe, d'une image ou d'un élément inconnu")
    genre: str | None = Field(
        None,
        description="liste : puce | numero ; encadré : ASavoir | ANoter | Attention | Rappel | Avertissement ; "
        "bloccas : onglet | radio ; service : Téléservice, Formulaire… ; contact : type de l'entrée",
    )
    style: str | None = Field(None, description="emphase | exposant | indice | citation | etranger")
    fiche: str | None = Field(None, description="Lien vers une autre publication (F…, N…, R…)")
    url: str | None = None
    reference: str | None = Field(None, description="Définition du glossaire du moment de vie")
    entete: bool | None = Field(None, description="Rangée d'en-tête d'un tableau")
    colonnes: list[str] | None = Field(None, description="Tableau : normal | header pour chaque colonne")
    pivot: str | None = Field(None, description="Contact : type de guichet")
    connexion: str | None = Field(None, description='Service en ligne : oui | non | "" (non précisé)')
    enfants: list["NoeudOut"] = Field(default_factory=list)


NoeudOut.model_rebuild()


class OnlineServiceOut(Schema):
    id: str
    titre: str
    url: str
    type: str
    connexion: str = Field(description='Compte nécessaire : oui | non | "" (la publication ne le dit pas)')
    source: str


class LinkOut(Schema):
    titre: str
    url: str
    source: str


class FicheOut(Schema):
    id: str
    titre: str
    url: str
    type: str
    pivots: list[str]
    description: str
    services_en_ligne: list[OnlineServiceOut]
    pour_en_savoir_plus: list[LinkOut]


class OfficeOut(Schema):
    pivot: str
    libelle: str
    classe: Literal["guichet", "reseau", "profession", "annuaire"]
    libelle_classe: str
    structures: list[BodyOut]
    raison: str
    lien: str = Field(description="Adresse où trouver ce guichet (Annuaire, contact national, annuaire officiel)")
    libelle_lien: str
    service_en_ligne: LinkOut | None
    ancien_nom: str = Field(description="Le nom que la fiche emploie encore, et la date du changement")
    note: str
    comment_trouver: str = Field(description="Le lien, quand aucune structure n'est connue ici")


class CompetentOut(Schema):
    fiche: str
    competence: str
    libelle: str
    structures: list[BodyOut]
    raison: str
    differe_du_guichet: bool
    guichet_de_la_fiche: str


class LinkedJourneyOut(Schema):
    id: str
    publication: str
    titre: str


class StepOut(Schema):
    numero: int
    titre: str
    phase: str
    delai: str = Field(description="La phrase officielle qui donne un délai, s'il y en a une")
    contenu: list[NoeudOut] = Field(description="Le contenu officiel visible pour ces réponses, en arbre")
    texte: list[str] = Field(description="Le même contenu, paragraphe par paragraphe, en texte seul")
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


class BeforeOut(Schema):
    introduction: list[NoeudOut]
    services_en_ligne: list[OnlineServiceOut]
    pour_en_savoir_plus: list[LinkOut]
    questions_reponses: list[FicheOut]
    parcours_lies: list[LinkedJourneyOut]
    guichets: list[OfficeOut]
    contacts: list[NoeudOut]
    avertissements: list[NoeudOut]


class UnansweredOut(Schema):
    question: str
    non_affiche: list[str] = Field(description="Ce que le parcours n'affiche pas faute de réponse")


class GlossaryOut(Schema):
    reference: str
    terme: str
    definition: str


class JourneyOut(Schema):
    moment_de_vie: LifeEventSummaryOut
    commune: JourneyCommuneOut
    date: dt.date
    reponses: list[AnswerOut]
    questions_sans_reponse: list[UnansweredOut]
    avant_de_commencer: BeforeOut
    etapes: list[StepOut]
    parcours_lies: list[LinkedJourneyOut]
    glossaire: list[GlossaryOut]
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
