"""API shapes of contracts and action sheets. Field names of the issue's contract (type, titre, perimetre,
signataires, debut, fin; titre, pilote, partenaires, competences, communes; commune, competence, structure,
partenaire) are kept exactly. Inputs forbid unknown fields (no mass assignment)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from sanscouture.competences.schemas import BodyOut

from .models import BudgetStatus, ContractKind, ContractStatus, Phase, PhaseStatus

Short = Annotated[str, StringConstraints(max_length=250)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=250)]
Term = Annotated[str, StringConstraints(max_length=60)]
Text = Annotated[str, StringConstraints(max_length=10000)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Measure = Annotated[Decimal, Field(max_digits=16, decimal_places=3)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(StrictIn):
    titre: Title
    url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")]


class ContractIn(StrictIn):
    type: ContractKind = Field(description="crte, pvd, acv, ruralite, pacte, plan ou autre")
    titre: Title
    perimetre: list[Term] = Field(
        min_length=1,
        max_length=200,
        description="Termes commune:<code INSEE>, epci:<SIREN>, departement:<code>, region:<code>",
    )
    signataires: list[int] = Field(min_length=1, max_length=50, description="Structures signataires (id)")
    roles: list[Short] = Field(
        default_factory=list, max_length=50, description="Rôle de chaque signataire, dans le même ordre (facultatif)"
    )
    debut: dt.date
    fin: dt.date | None = None
    axes: list[Short] = Field(default_factory=list, max_length=30)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    statut: ContractStatus = ContractStatus.SIGNED


class SignatoryOut(Schema):
    structure: BodyOut
    role: str


class DocumentOut(Schema):
    titre: str
    url: str


class SheetBriefOut(Schema):
    id: int
    titre: str
    pilote: BodyOut
    phase: str
    phase_statut: str


class ContractOut(Schema):
    id: int
    type: str
    type_libelle: str
    titre: str
    perimetre: list[str]
    communes: list[str] = Field(description="Codes INSEE des communes actuelles du périmètre")
    signataires: list[SignatoryOut]
    debut: dt.date
    fin: dt.date | None
    axes: list[str]
    documents: list[DocumentOut]
    statut: str


class ContractDetailOut(ContractOut):
    fiches: list[SheetBriefOut]


class SheetIn(StrictIn):
    titre: Title
    description: Text = ""
    axe: Short = ""
    pilote: int = Field(description="Structure pilote (id)")
    partenaires: list[int] = Field(default_factory=list, max_length=100, description="Structures partenaires (id)")
    competences: list[Term] = Field(min_length=1, max_length=50, description="Codes du catalogue des compétences")
    communes: list[Term] = Field(min_length=1, max_length=500, description="Codes INSEE, dans le périmètre du contrat")
    phase: Phase = Phase.IDEA
    phase_statut: PhaseStatus = PhaseStatus.IN_PROGRESS
    leviers_sgpe: list[Short] = Field(default_factory=list, max_length=50)
    debut_previsionnel: dt.date | None = None
    budget_previsionnel: int | None = Field(None, ge=0, le=10**13)


class SheetStepOut(Schema):
    id: int
    titre: str
    prevue_le: dt.date | None
    faite_le: dt.date | None


class BudgetLineOut(Schema):
    id: int
    financeur: BodyOut
    libelle: str
    total: float
    montant: float
    statut: str
    date: dt.date | None


class IndicatorValueOut(Schema):
    date: dt.date
    valeur: float


class IndicatorOut(Schema):
    id: int
    libelle: str
    unite: str
    cible: float | None
    valeurs: list[IndicatorValueOut]


class SheetOut(Schema):
    id: int
    uid: str
    contrat: int
    titre: str
    description: str
    axe: str
    pilote: BodyOut
    partenaires: list[BodyOut]
    competences: list[str]
    communes: list[str]
    phase: str
    phase_statut: str
    leviers_sgpe: list[str]
    debut_previsionnel: dt.date | None
    budget_previsionnel: int | None
    etapes: list[SheetStepOut]
    lignes_budgetaires: list[BudgetLineOut]
    indicateurs: list[IndicatorOut]


class StructureRefOut(Schema):
    id: int
    cle: str
    nom: str


class LeverOut(Schema):
    commune: str
    commune_nom: str
    competence: str
    competence_libelle: str
    structure: StructureRefOut | None = Field(description="Qui exerce la compétence ici (routage) ; null si personne")
    partenaire: bool = Field(
        description="Vrai si cette structure signe le contrat, pilote la fiche ou en est partenaire"
    )
    raison: str


class HeldLeverOut(Schema):
    fiche: int
    fiche_titre: str
    contrat: int
    contrat_titre: str
    competences: list[str]
    communes: list[str]
    partenaire: bool


class BudgetLineIn(StrictIn):
    financeur: int = Field(description="Structure qui finance (id)")
    libelle: Short = ""
    total: Money = Field(description="Montant total de la ligne (euros)")
    montant: Money = Field(description="Montant sollicité, accordé ou versé (euros), au plus le total")
    statut: BudgetStatus = BudgetStatus.REQUESTED
    date: dt.date | None = None


class BudgetStatusIn(StrictIn):
    statut: BudgetStatus
    montant: Money | None = None
    date: dt.date | None = None


class SheetStepIn(StrictIn):
    titre: Title
    prevue_le: dt.date | None = None
    faite_le: dt.date | None = None


class IndicatorIn(StrictIn):
    libelle: Title
    unite: Annotated[str, StringConstraints(max_length=50)] = ""
    cible: Measure | None = None


class IndicatorValueIn(StrictIn):
    date: dt.date
    valeur: Measure


class ProjetOut(Schema):
    """A record of the national schema « projets-territoire » v0.1.0 (field names of the schema)."""

    id: str
    createdAt: str  # noqa: N815 (the schema's names)
    updatedAt: str  # noqa: N815
    nom: str
    description: str | None
    budgetPrevisionnel: int | None  # noqa: N815
    dateDebutPrevisionnelle: str | None  # noqa: N815
    phase: str
    phaseStatut: str  # noqa: N815
    programme: str | None
    porteurCodeSiret: str | None  # noqa: N815
    porteurReferentEmail: str | None  # noqa: N815
    porteurReferentTelephone: str | None  # noqa: N815
    porteurReferentPrenom: str | None  # noqa: N815
    porteurReferentNom: str | None  # noqa: N815
    porteurReferentFonction: str | None  # noqa: N815
    competences: list[str]
    leviers: list[str]
    mecId: str | None  # noqa: N815
    tetId: str | None  # noqa: N815
    recocoId: str | None  # noqa: N815
    collectiviteIds: list[str]  # noqa: N815


class ProjetsImportIn(StrictIn):
    pilote: int = Field(description="Structure pilote des fiches créées (id)")
    projets: list[dict[Annotated[str, StringConstraints(max_length=60)], Any]] = Field(
        max_length=5000, description="Enregistrements du schéma projets-territoire v0.1.0"
    )


class ImportOut(Schema):
    crees: int
    mis_a_jour: int
