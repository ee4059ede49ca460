"""The data·inclusion export over the API (schema v1): `GET /opendata/data-inclusion/structures` and `/services`,
paginated like the other lists (`limite`, `decalage`), public and read-only (ADR 020)."""

from typing import Literal

from data_inclusion.schema.v1 import Service, Structure
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from sanscouture.apicontract import errors

from .data_inclusion import RETRY_AFTER, data_inclusion_available
from .errors import ExportNotReady

router = Router(tags=["Données ouvertes"])
MAX_LIMIT = 1000  # above the other lists' 200: a harvester reads about 700,000 services for France


# Named apart from the other apps' schemas: OpenAPI components are named after their classes (competences has a
# StructureOut).
class DataInclusionStructure(Structure):
    """A data·inclusion v1 structure, plus the body's SIREN (the schema has only a SIRET, which we do not hold)."""

    siren: str | None = None


class DataInclusionService(Service):
    """A data·inclusion v1 service, as the official model defines it."""


class PageParams(Schema):
    limite: int = Field(100, ge=1, description=f"Nombre de lignes (au plus {MAX_LIMIT})")
    decalage: int = Field(0, ge=0, description="Lignes à sauter")


def _page(request: HttpRequest, dataset: Literal["structures", "services"], params: PageParams) -> HttpResponse:
    export = data_inclusion_available()
    if export is None:
        raise ExportNotReady(
            "L'export data·inclusion est en cours de préparation : réessayez dans quelques minutes.",
            retry_after=RETRY_AFTER,
        )
    total = export.counts[dataset]
    limit, offset = min(params.limite, MAX_LIMIT), params.decalage
    # The rows are sent as stored: each was validated by the official models when the edition was written.
    response = HttpResponse(export.page(dataset, offset=offset, limit=limit), content_type="application/json")
    response["X-Total-Count"] = str(total)
    links = []
    path = request.build_absolute_uri(request.path)
    if offset + limit < total:
        links.append(f'<{path}?limite={limit}&decalage={offset + limit}>; rel="next"')
    if offset > 0:
        links.append(f'<{path}?limite={limit}&decalage={max(0, offset - limit)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    response["X-Edition"] = f"{export.on.isoformat()} v{export.version}"  # the routing date and version it answers for
    response["Cache-Control"] = "public, max-age=3600"
    return response


DESCRIPTION = (
    "Au schéma data·inclusion v1, validé par le paquet officiel `data-inclusion-schema`. Pagination : `limite` "
    f"(1 à {MAX_LIMIT}, défaut 100) et `decalage` ; l'en-tête `X-Total-Count` donne le nombre de lignes, l'en-tête "
    "`Link` les pages suivante et précédente. Le jeu entier se télécharge aussi d'un bloc (catalogue "
    "/opendata/catalogue.jsonld). L'en-tête `X-Edition` donne la date et la version du routage de l'édition "
    "servie ; 503 (avec `Retry-After`) tant que la toute première édition s'écrit."
)


@router.get(
    "/opendata/data-inclusion/structures",
    response={200: list[DataInclusionStructure], **errors(503)},
    url_name="data_inclusion_structures",
    summary="Les structures publiques au schéma data·inclusion",
    description="Chaque structure du référentiel (SIREN, réseaux porteurs d'après son type). " + DESCRIPTION,
)
def data_inclusion_structures(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    return _page(request, "structures", params)


@router.get(
    "/opendata/data-inclusion/services",
    response={200: list[DataInclusionService], **errors(503)},
    url_name="data_inclusion_services",
    summary="Les compétences et guichets des structures, en services data·inclusion",
    description="Chaque compétence ou type de guichet qu'exerce une structure ; `zone_eligibilite` liste les "
    "codes INSEE des communes pour lesquelles le routage la désigne. " + DESCRIPTION,
)
def data_inclusion_services(request: HttpRequest, params: Query[PageParams]) -> HttpResponse:
    return _page(request, "services", params)
