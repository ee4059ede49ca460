"""API shapes (field names in French, like the rest of /api/v1)."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class WebhookIn(Schema):
    structure: int = Field(description="Identifiant de la structure (vous en êtes administrateur)")
    url: str = Field(max_length=500, description="Adresse HTTPS publique du récepteur")
    evenements: list[str] = Field(
        max_length=20,
        description="Types : dossier.ouvert, tache.modifiee, orientation.* …, message.nouveau, avis.nouveau",
    )
    champs_personnels: list[str] = Field(
        default_factory=list,
        max_length=30,
        description="Champs personnels autorisés dans les envois (vide : identifiants, types, statuts et liens seuls)",
    )
    description: str = Field(default="", max_length=200)


class WebhookOut(Schema):
    id: UUID
    structure: int
    url: str
    description: str
    evenements: list[str]
    champs_personnels: list[str]
    statut: str
    statut_libelle: str
    en_echec_depuis: datetime | None
    desactive_le: datetime | None
    cree_le: datetime
    en_attente: int
    livrees: int
    ancien_secret_valide_jusqu_au: datetime | None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Secret de signature (whsec_…), affiché une seule fois")


class SecretOut(Schema):
    secret: str = Field(description="Nouveau secret (whsec_…), affiché une seule fois")
    ancien_secret_valide_jusqu_au: datetime | None


class DeliveryOut(Schema):
    id: str = Field(description="webhook-id de l'envoi (le même à chaque tentative)")
    evenement: str
    statut: str
    tentatives: int
    dernier_code_http: int | None
    derniere_erreur: str
    derniere_tentative: datetime | None
    prochaine_tentative: datetime | None
    livree_le: datetime | None
    cree_le: datetime


class EventTypeOut(Schema):
    type: str
    libelle: str
