"""API shapes of the network (field names are the contract of issue 12)."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict


class CourtageOut(Schema):
    coordinateur: int
    gardien: int
    representant: int
    consultant: int
    liaison: int
    total: int


class ReseauIndicateursOut(Schema):
    activite: int = Field(description="Interactions sur la période")
    part_inter_institutions: float | None
    partenaires: int
    reciprocite: float | None
    delai_median_acceptation_heures: float | None
    orientations_recues_decidees: int
    orientations_recues_refusees: int
    taux_refus: float | None
    delai_median_reponse_avis_heures: float | None
    intermediarite: float
    contrainte: float | None
    courtage: CourtageOut
    isolee: bool


class ReseauStructureOut(ReseauIndicateursOut):
    id: int
    cle: str
    nom: str
    type: str
    dans_territoire: bool
    confiance: float | None
    valeur: float | None
    evaluations: int


class ReseauServiceOut(ReseauIndicateursOut):
    id: int
    cle: str
    nom: str
    type: str
    direction: str
    parent: int | None
    avec_autres_structures: int


class LienOut(Schema):
    source: int
    cible: int
    interactions: int
    par_type: dict[str, int]
    orientations: int
    acceptees: int
    refusees: int
    taux_refus: float | None
    delai_median_acceptation_heures: float | None
    confiance: float | None = None
    valeur: float | None = None
    evaluations: int = 0


class GroupOut(Schema):
    type: str
    libelle: str
    structures: int
    indice_ei: float | None


class TerritoireOut(Schema):
    cle: str
    nom: str


class ReseauOut(Schema):
    territoire: TerritoireOut
    du: dt.date
    au: dt.date
    structures: list[ReseauStructureOut]
    liens: list[LienOut]
    types: list[GroupOut]
    explications: list[str]
    methodes: dict[str, str]


class ReseauInterneOut(Schema):
    structure: TerritoireOut
    du: dt.date
    au: dt.date
    services: list[ReseauServiceOut]
    liens: list[LienOut]
    directions: list[GroupOut]
    explications: list[str]
    methodes: dict[str, str]


class TendanceOut(Schema):
    mois: str
    interactions: int
    orientations: int
    acceptees: int
    refusees: int
    taux_refus: float | None
    delai_median_acceptation_heures: float | None
    structures_actives: int


class TendancesOut(Schema):
    territoire: TerritoireOut
    du: dt.date
    au: dt.date
    mois: list[TendanceOut]


Score = Literal[1, 2, 3, 4]


class EvaluationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    alignement: Score = Field(description="Confiance : alignement des missions (1 à 4)")
    ouverture: Score = Field(description="Confiance : ouverture à la discussion (1 à 4)")
    fiabilite: Score = Field(description="Confiance : fiabilité (1 à 4)")
    ressources: Score = Field(description="Valeur : ressources apportées (1 à 4)")
    influence: Score = Field(description="Valeur : pouvoir, influence (1 à 4)")
    engagement: Score = Field(description="Valeur : engagement (1 à 4)")


class EvaluationOut(Schema):
    id: int
    orientation: int
    structure: int
    structure_evaluee: int
    mois: str
    confiance: float
    valeur: float
