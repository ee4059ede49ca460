"""API shapes of « vis mon job » (`raisons` is the contract of issue 13)."""

import datetime as dt

from ninja import Field, Schema


class StructureRef(Schema):
    id: int
    cle: str
    nom: str


class ServiceRef(Schema):
    id: int
    nom: str


class AgentInscritOut(Schema):
    id: int = Field(description="Identifiant de l'inscription (à donner pour proposer un binôme)")
    agent: str
    structure: StructureRef
    services: list[ServiceRef]
    metier: str
    a_montrer: str
    a_decouvrir: str
    disponibilites: str


class SuggestionOut(Schema):
    cle: str
    interne: bool = Field(description="Entre deux services de votre structure")
    structure: StructureRef
    autre_structure: StructureRef
    service: ServiceRef | None
    autre_service: ServiceRef | None
    score: float
    interdependance: float
    faiblesse: float
    raisons: list[str] = Field(description="Pourquoi ce binôme, en clair")
    chiffres: dict
    agents_inscrits: list[AgentInscritOut]


class SuggestionsOut(Schema):
    structure: StructureRef
    methode: str
    suggestions: list[SuggestionOut]


class InscriptionIn(Schema):
    structure: int | None = Field(None, description="Ma structure (par défaut la première)")
    metier: str = Field(max_length=150)
    a_montrer: str = Field(max_length=1000)
    a_decouvrir: str = Field("", max_length=1000)
    disponibilites: str = Field("", max_length=300)
    services: list[int] = Field(default_factory=list, max_length=20)


class RetraitInscriptionIn(Schema):
    structure: int | None = None


class BinomeIn(Schema):
    inscription: int = Field(description="L'inscription de l'autre agent")
    structure: int | None = Field(None, description="Ma structure (par défaut celle de mon inscription)")
    service: int | None = Field(None, description="Mon service (interne : obligatoire)")
    autre_service: int | None = None
    message: str = Field("", max_length=2000)
    raisons: list[str] = Field(default_factory=list, max_length=10)


class MotifIn(Schema):
    motif: str = Field(max_length=500)


class DatesIn(Schema):
    debut: dt.date
    fin: dt.date
    heure_debut: dt.time | None = None
    heure_fin: dt.time | None = None
    lieu: str = Field("", max_length=300)


class RetourIn(Schema):
    texte: str = Field(max_length=2000)
    utilite: int = Field(ge=1, le=4, description="1 pas du tout … 4 beaucoup")


class RetourOut(Schema):
    structure: StructureRef
    texte: str
    utilite: int
    le: dt.datetime


class EtapeOut(Schema):
    action: str
    libelle: str
    le: dt.datetime
    structure: str | None
    detail: str


class CoteOut(Schema):
    agent: str
    structure: StructureRef
    service: ServiceRef | None
    accepte: bool
    approuve: bool


class BinomeOut(Schema):
    id: int
    interne: bool
    statut: str
    statut_libelle: str
    a: CoteOut
    b: CoteOut
    message: str
    raisons: list[str]
    debut: dt.date | None
    fin: dt.date | None
    heure_debut: dt.time | None
    heure_fin: dt.time | None
    lieu: str
    sequence: int
    motif_cloture: str
    convention: str | None = Field(description="Page imprimable de la convention, une fois les dates fixées")
    invitation: str | None = Field(description="Fichier iCalendar de l'invitation, une fois les dates fixées")
    retours: list[RetourOut]
    etapes: list[EtapeOut]
    cree_le: dt.datetime
