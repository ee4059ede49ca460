"""API shapes of the guichet unique. Inputs forbid unknown fields: a client cannot set `statut`, `structure`,
`consentement`… where the endpoint does not own them (no mass assignment): it gets a 422."""

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from sanscouture.competences.schemas import BodyOut

Short = Annotated[str, StringConstraints(max_length=120)]
Value = Annotated[str, StringConstraints(max_length=500)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Reason = Annotated[str, StringConstraints(max_length=1000)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class CaseIn(StrictIn):
    moment_de_vie: Short = Field(description="Identifiant du moment de vie (par exemple « je-demenage »)")
    choix: list[Short] = Field(default_factory=list, max_length=50, description="Réponses au questionnaire")
    commune: Short = Field(description="Commune (d'arrivée pour un déménagement) : code INSEE")
    commune_depart: Short | None = Field(None, description="Commune quittée, pour un déménagement")
    donnees: dict[Short, Value] = Field(
        max_length=30, description="Données de la personne (clés : voir cases/data/fields.yaml), dont « nom »"
    )
    consentements: list[int] = Field(
        default_factory=list,
        max_length=100,
        description="Structures (id) qui auront une tâche et auxquelles la personne consent à montrer ses données",
    )
    structure_guichet: int | None = Field(
        None, description="Un agent dépose pour la personne au nom de cette structure (l'une des siennes)"
    )


class UnitOut(Schema):
    """A direction or service inside a body."""

    id: int
    nom: str


class TaskOut(Schema):
    id: int
    dossier: uuid.UUID
    reference: str
    structure: BodyOut
    titre: str
    action_attendue: str
    etapes: list[str]
    commune_role: Literal["arrivee", "depart"]
    statut: str
    statut_libelle: str
    motif: str
    echeance: dt.date
    service: UnitOut | None = None


class CaseCreatedOut(Schema):
    id: uuid.UUID
    reference: str
    jeton_suivi: str = Field(description="Lien privé de suivi : affiché une seule fois, conservez-le")
    url_suivi: str
    taches: list[TaskOut]


class TaskListItemOut(TaskOut):
    moment_de_vie: str
    commune: str


class DataFieldOut(Schema):
    champ: str
    libelle: str
    valeur: str


class MessageOut(Schema):
    id: int
    date: dt.datetime
    de_la_personne: bool
    structure: BodyOut | None
    texte: str


class NoteOut(Schema):
    id: int
    date: dt.datetime
    structure: BodyOut
    texte: str


class EventOut(Schema):
    date: dt.datetime
    type: str
    texte: str


class HandoverOut(Schema):
    id: int
    tache: int
    de: BodyOut
    vers: BodyOut
    service_de: UnitOut | None = None
    service_vers: UnitOut | None = None
    motif: str
    statut: str
    motif_decision: str
    date: dt.datetime
    etapes: list[str] = Field(description="Étapes orientées ; vide : toute la tâche")
    code_refus: str = Field(description="Motif structuré du refus (vide sinon)")
    motif_visible: bool = Field(description="La personne voit le motif du refus")


class CaseOut(Schema):
    id: uuid.UUID
    reference: str
    moment_de_vie: str
    moment_de_vie_titre: str
    commune: str
    commune_depart: str | None
    statut: str
    cree_le: dt.datetime
    structure: BodyOut = Field(description="La structure au nom de laquelle le dossier est lu")
    structures_possibles: list[BodyOut]
    consentement: bool
    donnees: list[DataFieldOut] = Field(description="Seulement les champs dont les tâches ouvertes ont besoin")
    taches: list[TaskOut]
    notes: list[NoteOut] = Field(description="Notes internes de la structure seulement")
    messages: list[MessageOut]
    evenements: list[EventOut]
    orientations_a_decider: list[HandoverOut]


class StatusIn(StrictIn):
    statut: Literal["todo", "in_progress", "done", "not_applicable"]
    motif: Reason = ""


class HandoverIn(StrictIn):
    structure: int = Field(description="Structure destinataire de l'orientation (la vôtre pour un autre service)")
    service: int | None = Field(None, description="Service destinataire dans cette structure")
    motif: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    etapes: list[Annotated[str, StringConstraints(max_length=300)]] = Field(
        default_factory=list, max_length=50, description="Étapes de la tâche à orienter ; vide : toute la tâche"
    )


class UnitIn(StrictIn):
    service: int | None = Field(description="Service de votre structure chargé de la tâche (null : aucun)")


class DecisionIn(StrictIn):
    decision: Literal["acceptee", "refusee"]
    motif: Reason = ""
    code_refus: Literal["", "not_competent", "out_of_territory", "missing_information", "already_handled", "other"] = (
        Field("", description="Motif structuré d'un refus (« other » demande un motif)")
    )
    motif_visible: bool = Field(False, description="La personne peut lire le motif du refus")


class OpinionIn(StrictIn):
    structure: int = Field(description="Structure sollicitée (une autre que la vôtre)")
    service: int | None = Field(None, description="Service sollicité dans cette structure")
    question: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class OpinionAnswerIn(StrictIn):
    reponse: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class OpinionOut(Schema):
    id: int
    dossier: str = Field(description="Identifiant public du dossier")
    tache: int
    de: BodyOut
    vers: BodyOut
    service_vers: UnitOut | None = None
    question: str
    reponse: str
    statut: str = Field(description="asked (demandé) ou given (donné)")
    demande_le: dt.datetime
    repondu_le: dt.datetime | None = None


class MessageIn(StrictIn):
    texte: Text
    structure: int | None = Field(None, description="Votre structure (si vous êtes agent de plusieurs)")


class PersonMessageIn(StrictIn):
    texte: Text


class AccessLogOut(Schema):
    date: dt.datetime
    action: str
    structure: str | None
    par_la_personne: bool
    agent: str | None
    champs: list[str]
    motif: str


class ConsentOut(Schema):
    structure: BodyOut
    consentement: bool


class PersonCaseOut(Schema):
    id: uuid.UUID
    reference: str
    moment_de_vie_titre: str
    commune: str
    commune_depart: str | None
    statut: str
    taches: list[TaskOut]
    donnees: list[DataFieldOut]
    consentements: list[ConsentOut]
    messages: list[MessageOut]
    evenements: list[EventOut]
