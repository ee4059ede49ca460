"""The REST API (/api/v1, OpenAPI at /api/docs): thin, it validates, calls selectors/services, serializes."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sanscouture.cases.api import router as cases_router
from sanscouture.competences.api import router as competences_router
from sanscouture.errors import DomainError
from sanscouture.journeys.api import router as journeys_router
from sanscouture.territories.api import router as territories_router

api = NinjaAPI(
    title="Sans Couture",
    version="1",
    description="Qui fait quoi : territoires, structures publiques et compétences pour chaque commune de France.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: object = None) -> HttpResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return api.create_response(request, {"erreur": body}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [{"champ": ".".join(str(p) for p in e.get("loc", [])), "message": e.get("msg", "")} for e in exc.errors]
    return _error(request, 422, "requete_invalide", "La requête contient des valeurs invalides.", fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "non_authentifie", "Authentification requise.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "introuvable", "Ressource introuvable.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "csrf_invalide" if exc.status_code == 403 and "CSRF" in str(exc) else "erreur_http"
    message = "Jeton CSRF absent ou invalide." if code == "csrf_invalide" else str(exc)
    return _error(request, exc.status_code, code, message)


@api.get("/ping", tags=["Service"], summary="Réponse triviale (mesure de référence)")
def ping(request: HttpRequest) -> dict[str, str]:
    return {"statut": "ok"}


api.add_router("/", territories_router)
api.add_router("/", competences_router)
api.add_router("/", journeys_router)
api.add_router("/", cases_router)
