import datetime as dt

from ninja import Field, Schema


class BodyOut(Schema):
    id: int
    cle: str
    nom: str
    type: str


class OtherSourceOut(Schema):
    """What a source of lower precedence would answer, where it disagrees (ADR 011)."""

    type: str = Field(description="banatic, declaration, statut_particulier, loi ou facultative")
    structures: list[BodyOut]
    explication: str


class ReasonOut(Schema):
    type: str = Field(
        description="La source de la réponse : declaration (d'un agent), statut_particulier (régime fixé par la "
        "loi pour ce territoire), banatic, loi, facultative, annuaire, guichet, non_modelise ou inconnu"
    )
    explication: str
    references: list[str]
    declaration: int | None
    references_verifiees: bool = Field(
        True, description="Faux si une référence légale de la réponse n'a pas encore été vérifiée sur le texte"
    )
    desaccord: str = Field("", description="Ce que disent les autres sources quand elles diffèrent, en une phrase")
    autres_sources: list[OtherSourceOut] = Field(default_factory=list)


class RoutingOut(Schema):
    competence: str
    libelle: str
    structures: list[BodyOut]
    raison: ReasonOut


class GuichetsOut(Schema):
    pivot: str
    libelle: str
    structures: list[BodyOut]
    raison: ReasonOut


class CommuneCompetencesOut(Schema):
    commune: str
    nom: str
    date: dt.date
    message: str
    competences: list[RoutingOut]


class ReferenceOut(Schema):
    code: str
    article: str
    note: str
    verifiee: bool


class CompetenceOut(Schema):
    code: str
    libelle: str
    theme: str
    description: str
    pivots: list[str]
    references: list[ReferenceOut]


class PivotOut(Schema):
    code: str
    libelle: str


class DeclarationIn(Schema):
    structure: int
    competence: str
    communes: list[str] = Field(max_length=2000)
    debut: dt.date
    fin: dt.date | None = None
    fondement: str
    reference: str = Field("", max_length=300)


class DeclarationOut(Schema):
    id: int
    structure: BodyOut
    competence: str
    communes: list[str]
    debut: dt.date
    fin: dt.date | None
    fondement: str
    reference: str


class ContactOut(Schema):
    """Each field is null when the source does not give it: unknown, never guessed."""

    adresses: list[dict] | None
    telephones: list[dict] | None
    courriels: list[str] | None
    sites: list[dict] | None
    horaires: list[dict] | None
    fiche_annuaire: str | None


class StructureOut(Schema):
    id: int
    cle: str
    nom: str
    type: str
    type_libelle: str
    siren: str | None
    pivots: list[str]
    fondement: str
    active: bool
    source: str
    contact: ContactOut
    nombre_communes_desservies: int
    communes_desservies: list[str]
