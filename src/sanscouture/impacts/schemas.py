"""API shapes of the responsabilité collective. Inputs forbid unknown fields (no mass assignment: `statut`,
`version`… are the service's)."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from sanscouture.competences.schemas import BodyOut

from .models import Answer

Short = Annotated[str, StringConstraints(max_length=120)]
Text = Annotated[str, StringConstraints(max_length=5000)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ActionIn(StrictIn):
    structure: int = Field(description="La structure qui déclare (l'une des vôtres)")
    type: Short = Field(description="travaux_voirie, travaux_reseaux, guichet, regle, transfert, evenement, service")
    titre: Annotated[str, StringConstraints(max_length=200)]
    debut: dt.date = Field(description="Début prévu (AAAA-MM-JJ)")
    fin: dt.date = Field(description="Fin prévue (AAAA-MM-JJ)")
    communes: list[Short] = Field(default_factory=list, max_length=2000, description="Codes INSEE")
    territoire: Short | None = Field(None, description="epci:<siren>, departement:<code> ou region:<code>")
    competences: list[Short] = Field(default_factory=list, max_length=60, description="Codes du catalogue")
    pivots: list[Short] = Field(default_factory=list, max_length=60, description="Types de guichet touchés")
    moments_de_vie: list[Short] = Field(default_factory=list, max_length=30)
    description: Text = ""
    contact: Annotated[str, StringConstraints(max_length=300)] = ""
    cause: Short = Field("OTHER_CAUSE", description="Énumération GTFS-realtime Alert.Cause")
    effet: Short = Field("MODIFIED_SERVICE", description="Énumération GTFS-realtime Alert.Effect")
    gravite: Short = Field("INFO", description="Énumération GTFS-realtime Alert.SeverityLevel")


class CommuneRefOut(Schema):
    code: str
    nom: str


class PublicActionOut(Schema):
    id: int
    structure: BodyOut
    type: str
    titre: str
    description: str
    contact: str
    cause: str
    effet: str
    gravite: str
    debut: dt.date
    fin: dt.date
    debut_effectif: dt.date | None
    fin_effective: dt.date | None
    version: int


class ActionOut(PublicActionOut):
    """What the agents see: the public fields, the status and what the action touches."""

    statut: str
    statut_libelle: str
    territoire: str
    communes: list[CommuneRefOut]
    competences: list[str]
    pivots: list[str]
    moments_de_vie: list[str]
    modifications: str
    publiee_le: dt.datetime | None


class AffectedBodyOut(BodyOut):
    communes: list[CommuneRefOut]
    raisons: list[str]


class ClashOut(Schema):
    id: int
    titre: str
    structure: BodyOut
    debut: dt.date
    fin: dt.date


class ImpactsOut(Schema):
    action: int
    communes: int
    structures: list[AffectedBodyOut]
    dossiers_ouverts: int = Field(description="Dossiers partagés ouverts touchés (nombre, aucune donnée personnelle)")
    conflits: list[ClashOut]


class NoticeOut(Schema):
    id: int
    action: int
    titre: str
    declarant: BodyOut
    structure: BodyOut
    type: str
    communes: list[str]
    raisons: list[str]
    version: int
    envoye_le: dt.datetime
    echeance: dt.date
    etat: str
    reponse: str
    texte: str
    repondu_le: dt.datetime | None
    accuse_reception: str


class AnswerIn(StrictIn):
    reponse: Answer
    texte: Text = ""
