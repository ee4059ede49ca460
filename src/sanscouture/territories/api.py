from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from .schemas import CommuneOut, CommuneSuggestion, TerritoryRef
from .selectors import Resolution, commune_resolve, commune_search

router = Router(tags=["Territoires"])
MATCH_KINDS = {
    "postcode": "code_postal",
    "insee": "code_insee",
    "name": "nom",
    "prefix": "debut_du_nom",
    "approx": "approchant",
}


class SearchParams(Schema):
    q: str
    limite: int = Field(10, ge=1, description="Nombre de communes (au plus 50)")


def commune_out(res: Resolution) -> CommuneOut:
    c = res.commune
    return CommuneOut(
        code=c.insee_code,
        nom=c.name,
        type=c.kind,
        population=c.population,
        codes_postaux=c.postcodes,
        siren=c.siren,
        departement=TerritoryRef(code=c.departement_id, nom=c.departement.name),
        region=TerritoryRef(code=c.region_id, nom=c.region.name),
        epci=TerritoryRef(code=c.epci_id, nom=c.epci.name) if c.epci_id else None,
        ept=TerritoryRef(code=c.ept_id, nom=c.ept.name) if c.ept_id else None,
        code_demande=res.requested_code,
        resolution=res.via,
        message=res.message,
    )


@router.get(
    "/communes",
    response=list[CommuneSuggestion],
    summary="Chercher une commune (nom, code postal, code INSEE, arrondissement)",
    description="Le même mécanisme que les pages et les suggestions, meilleure correspondance d'abord : "
    "cinq chiffres sont un code postal (d'abord) et un code INSEE ; un nom est trouvé sans tenir compte des "
    "accents, majuscules, traits d'union, apostrophes ni de « St »/« Ste » ; « Paris 15e », « Lyon 3 » donnent "
    "l'arrondissement (`code` est alors celui de l'arrondissement, `commune` celui de la commune) ; un nom mal "
    "orthographié donne les noms les plus proches (`correspondance` : `approchant`).",
)
def communes_search(request: HttpRequest, params: Query[SearchParams]) -> list[CommuneSuggestion]:
    return [
        CommuneSuggestion(
            code=m.code,
            nom=m.name,
            departement=m.departement,
            codes_postaux=(m.resolution.matched or m.commune).postcodes or m.commune.postcodes,
            population=(m.resolution.matched or m.commune).population,
            commune=m.commune.insee_code,
            correspondance=MATCH_KINDS[m.why],
        )
        for m in commune_search(params.q[:100], limit=min(params.limite, 50))
    ]


@router.get(
    "/communes/{code}",
    response=CommuneOut,
    summary="Une commune, avec son EPCI, son département, sa région",
    description="Un ancien code, un code de commune déléguée ou associée ou d'arrondissement municipal "
    "répond avec la commune actuelle et le dit (`resolution`, `message`).",
)
def commune_detail(request: HttpRequest, code: str) -> CommuneOut:
    return commune_out(commune_resolve(code))
