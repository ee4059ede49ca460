from ninja import Schema


class TerritoryRef(Schema):
    code: str
    nom: str


class CommuneOut(Schema):
    code: str
    nom: str
    type: str
    population: int | None
    codes_postaux: list[str]
    siren: str
    departement: TerritoryRef
    region: TerritoryRef
    epci: TerritoryRef | None
    ept: TerritoryRef | None
    code_demande: str
    resolution: str
    message: str


class CommuneSuggestion(Schema):
    code: str
    nom: str
    departement: str
    codes_postaux: list[str]
    population: int | None
    commune: str  # the current commune's INSEE code (differs from `code` for an arrondissement, a delegated commune)
    correspondance: str  # code_postal, code_insee, nom, debut_du_nom, approchant
