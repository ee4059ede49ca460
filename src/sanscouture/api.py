"""The REST API (/api/v1, OpenAPI JSON at /api/v1/openapi.json, its French page at /api/docs): thin, it validates,
calls selectors/services, serializes."""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sanscouture.apicontract import ContractAPI, french_detail, query_bound
from sanscouture.cases.api import router as cases_router
from sanscouture.competences.api import router as competences_router
from sanscouture.contracts.api import router as contracts_router
from sanscouture.errors import DomainError, Throttled, envelope
from sanscouture.gatherings.api import router as gatherings_router
from sanscouture.impacts.api import router as impacts_router
from sanscouture.journeys.api import router as journeys_router
from sanscouture.network.api import router as network_router
from sanscouture.opendata.api import router as opendata_router
from sanscouture.shadowing.api import router as shadowing_router
from sanscouture.territories.api import router as territories_router
from sanscouture.webhooks.api import router as webhooks_router

logger = logging.getLogger("sanscouture.api")

# Every operation of every router follows the API contract (sanscouture/apicontract.py, docs/adr/012).
api = ContractAPI(
    title="Sans Couture",
    version="1",
    description="Qui fait quoi : territoires, structures publiques et compétences pour chaque commune de France.",
    urls_namespace="api",
    docs_url=None,  # the French DSFR page is web's (urls.py: api/v1/docs), not Swagger's
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: object = None) -> HttpResponse:
    return api.create_response(request, envelope(code, message, details), status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = _error(request, exc.status, exc.code, exc.message, exc.details)
    if isinstance(exc, Throttled) or getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    bound = query_bound(exc.errors)
    if bound is not None:  # `limite=-1`: refused like an integer beyond 64 bits, with the bound it breaks
        detail = french_detail(bound)
        message = f"Le paramètre « {detail['champ']} » est hors limites. {detail['message']}"
        return _error(request, 400, "entier_hors_limites", message, {"parametre": detail["champ"]})
    fields = [french_detail(e) for e in exc.errors]
    return _error(request, 422, "requete_invalide", "La requête contient des valeurs invalides.", fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "non_authentifie", "Authentification requise.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "introuvable", "Ressource introuvable.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in str(exc):
        return _error(request, 403, "csrf_invalide", "Jeton CSRF absent ou invalide.")
    if exc.status_code == 400 and "parse request body" in str(exc):
        return _error(request, 400, "json_invalide", "Le corps de la requête n'est pas un JSON valide.")
    return _error(request, exc.status_code, "erreur_http", str(exc))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback (masked like every record, see logsafe); the caller gets the envelope.
    logger.error("erreur interne sur %s %s", request.method, request.path, exc_info=exc)
    return _error(request, 500, "erreur_interne", "Erreur interne : l'équipe technique est prévenue.")


@api.get("/ping", tags=["Service"], summary="Réponse triviale (mesure de référence)")
def ping(request: HttpRequest) -> dict[str, str]:
    return {"statut": "ok"}


api.add_router("/", territories_router)
api.add_router("/", competences_router)
api.add_router("/", journeys_router)
api.add_router("/", cases_router)
api.add_router("/", network_router)
api.add_router("/", impacts_router)
api.add_router("/", contracts_router)
api.add_router("/", gatherings_router)
api.add_router("/", opendata_router)
api.add_router("/", shadowing_router)
api.add_router("/", webhooks_router)
