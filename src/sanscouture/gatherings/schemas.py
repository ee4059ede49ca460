"""API shapes of the gatherings. Inputs forbid unknown fields (the status, the UID and the sequence are the
service's)."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from sanscouture.competences.schemas import BodyOut


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


Title = Annotated[str, StringConstraints(max_length=200)]
Place = Annotated[str, StringConstraints(max_length=300)]
Text = Annotated[str, StringConstraints(max_length=4000)]


class RencontreIn(StrictIn):
    structure: int = Field(
        description="La structure organisatrice (l'une des vôtres, dont vous êtes administrateur ou référent)"
    )
    titre: Title
    lieu: Place
    debut: dt.datetime = Field(description="Début, avec fuseau (ISO 8601, ex. 2026-06-18T12:00:00+02:00)")
    fin: dt.datetime = Field(description="Fin, après le début")
    description: Text = ""
    capacite: int | None = Field(None, ge=1, le=100000, description="Places ; absent : sans limite")
    territoire: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="epci:<siren> ou departement:<code> ; par défaut l'intercommunalité de la structure"
    )


class RencontreUpdateIn(StrictIn):
    titre: Title | None = None
    lieu: Place | None = None
    debut: dt.datetime | None = None
    fin: dt.datetime | None = None
    description: Text | None = None
    capacite: int | None = Field(None, ge=1, le=100000, description="Nouvelle capacité (au moins les confirmés)")


class AnnulationIn(StrictIn):
    motif: Annotated[str, StringConstraints(max_length=300)] = ""


class ReponseIn(StrictIn):
    reponse: str = Field(description="oui, non ou peut_etre")


class PresencesIn(StrictIn):
    presents: list[int] = Field(max_length=5000, description="Identifiants des invitations des agents venus")


class CompteOut(Schema):
    invites: int
    oui: int
    non: int
    peut_etre: int
    liste_attente: int
    sans_reponse: int
    places_restantes: int | None


class InvitationOut(Schema):
    id: int
    agent: str
    structure: BodyOut
    reponse: str = Field(description="oui, non, peut_etre, liste_attente ou sans_reponse")
    repondu_le: dt.datetime | None
    present: bool | None


class StructureInviteeOut(Schema):
    structure: BodyOut
    raison: str


class RencontreOut(Schema):
    id: int
    titre: str
    description: str
    lieu: str
    debut: dt.datetime
    fin: dt.datetime
    capacite: int | None
    statut: str
    organisatrice: BodyOut
    territoire: str
    territoire_nom: str
    sequence: int
    uid: str
    reponses: CompteOut
    mes_invitations: list[InvitationOut] = []
    structures_invitees: list[StructureInviteeOut] = []
    invitations: list[InvitationOut] | None = Field(None, description="Pour l'organisatrice seulement")
    gerable: bool = Field(False, description="L'appelant peut modifier, annuler, noter la présence")


class RencontreListeOut(Schema):
    id: int
    titre: str
    lieu: str
    debut: dt.datetime
    fin: dt.datetime
    capacite: int | None
    statut: str
    organisatrice: BodyOut
    territoire_nom: str
    confirmes: int
    liste_attente: int


class ReponseOut(Schema):
    rencontre: int
    invitation: int
    reponse: str
    message: str


class PresencesOut(Schema):
    rencontre: int
    presents: int
    structures: int


class EffetOut(Schema):
    structures: list[BodyOut]
    evenements: list[dict[str, Any]]
    territoire: dict[str, Any] | None = None


class EffetTerritoireOut(Schema):
    territoire: str
    territoire_nom: str
    agrege: dict[str, Any]
