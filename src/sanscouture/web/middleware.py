"""The edge: what every request passes before any view (TRUST.md, « Abuse resistance »; docs/adr/012).

- Bodies larger than the limits: 413 before they are read.
- NUL, control characters and lone surrogates in the path, the query string, form fields and JSON bodies: 400.
- Integers beyond 64 bits in the path (no object has such an id): 404.
- Anonymous writes (unsafe methods without an agent session or a valid API token): throttled per address and
  globally, 429 with Retry-After.
- Under /api/ every error answer is the JSON envelope {"erreur": {"code", "message"}} with a stable code, whoever
  produced it (the URL resolver's 404, a 405, Django's 400 or 500); elsewhere a French DSFR page.
"""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from sanscouture.accounts.selectors import api_token_from_bearer
from sanscouture.accounts.services import anonymous_write_admit
from sanscouture.errors import (
    ControlCharacters,
    DomainError,
    NotFound,
    PayloadTooLarge,
    Throttled,
    envelope,
)
from sanscouture.open311.views import error_response as open311_error_response
from sanscouture.safetext import FORBIDDEN_IN_LINE, describe, first_forbidden

API_PREFIX = "/api/"
OPEN311_PREFIX = "/open311/"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INT64_MAX = 2**63 - 1


class NumberBeyond64Bits(NotFound):
    code = "introuvable"


_LONG_NUMBER = re.compile(r"(?<![\w-])\d{19,}(?![\w-])")

# Error answers that did not come from our handlers (URL resolver, method not allowed, Django's own 400/403/500):
# the stable code and French message of the envelope.
STATUS_ERRORS = {
    400: ("requete_invalide", "La requête est invalide."),
    401: ("non_authentifie", "Authentification requise."),
    403: ("interdit", "Accès refusé."),
    404: ("introuvable", "Ressource introuvable."),
    405: ("methode_non_autorisee", "Méthode non autorisée pour cette adresse."),
    413: ("requete_trop_grande", "La requête est trop volumineuse."),
    415: ("type_de_contenu_non_pris_en_charge", "Envoyez le corps de la requête en JSON (application/json)."),
    429: ("trop_de_requetes", "Trop de requêtes : réessayez plus tard."),
    500: ("erreur_interne", "Erreur interne : l'équipe technique est prévenue par le journal du serveur."),
}
PAGE_TITLES = {
    400: "Requête invalide",
    404: "Page introuvable",
    413: "Envoi trop volumineux",
    429: "Trop de demandes",
}


def client_address(request: HttpRequest) -> str:
    """The client's address (REMOTE_ADDR: behind a reverse proxy it must be the client's, see ADR 007)."""
    return request.META.get("REMOTE_ADDR", "") or "inconnue"


class EdgeMiddleware:
    """Place after AuthenticationMiddleware (anonymous writes are told apart by the session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        in_api = request.path_info.startswith(API_PREFIX)
        try:
            _check_size(request)
            _check_characters(request)
            _check_path_integers(request)
            if request.method in UNSAFE and _is_anonymous(request):
                retry_after = anonymous_write_admit(ip=client_address(request))
                if retry_after is not None:
                    raise Throttled(
                        "Trop d'envois depuis votre adresse ou vers ce service : réessayez dans quelques minutes.",
                        retry_after=retry_after,
                    )
        except DomainError as exc:
            response = _refusal(request, exc, in_api)
        else:
            response = self.get_response(request)
        if in_api:
            response = _as_envelope(response)
        return response


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
    limit = settings.SANSCOUTURE_UPLOAD_MAX_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise PayloadTooLarge(
            f"La requête dépasse la taille maximale acceptée ({limit // 1000} ko).",
            details={"taille_maximale": limit},
        )


def _refuse_character(where: str, char: str) -> ControlCharacters:
    return ControlCharacters(
        f"Caractère interdit dans {where} : {describe(char)}.",
        details={"champ": where, "caractere": f"U+{ord(char):04X}"},
    )


def _check_characters(request: HttpRequest) -> None:
    found = FORBIDDEN_IN_LINE.search(request.path_info)
    if found:
        raise _refuse_character("l'adresse", found.group())
    for key, values in request.GET.lists():
        for text in (key, *values):
            found = FORBIDDEN_IN_LINE.search(text)
            if found:
                raise _refuse_character(f"le paramètre « {FORBIDDEN_IN_LINE.sub('?', key)} »", found.group())
    if request.method not in UNSAFE:
        return
    content_type = request.content_type or ""
    try:
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                data = json.loads(request.body)
            except ValueError:
                return  # not JSON: the API answers it with its own error
            bad = first_forbidden(data)
            if bad:
                raise _refuse_character(f"le champ « {FORBIDDEN_IN_LINE.sub('?', bad[0])} »", bad[1])
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            bad = first_forbidden({k: v for k, v in request.POST.lists()})
            if bad:
                raise _refuse_character(f"le champ « {FORBIDDEN_IN_LINE.sub('?', bad[0])} »", bad[1])
    except RequestDataTooBig:
        raise PayloadTooLarge("La requête dépasse la taille maximale acceptée.") from None


def _check_path_integers(request: HttpRequest) -> None:
    """A number beyond 64 bits in the path names no object (and SQLite cannot even look it up)."""
    for number in _LONG_NUMBER.findall(request.path_info):
        if int(number) > INT64_MAX:
            raise NumberBeyond64Bits("Ressource introuvable.")


def _is_anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() == "bearer" and api_token_from_bearer(raw.strip()) is not None:
        return False
    # Open311 clients send their key as a form field (`api_key`), as the GeoReport spec says (docs/adr/023).
    if request.path_info.startswith(OPEN311_PREFIX) and request.content_type == "application/x-www-form-urlencoded":
        return api_token_from_bearer((request.POST.get("api_key") or "").strip()) is None
    return True


def _refusal(request: HttpRequest, exc: DomainError, in_api: bool) -> HttpResponse:
    if request.path_info.startswith(OPEN311_PREFIX):  # the GeoReport spec's own error model (docs/adr/023)
        fmt = "json" if request.path_info.endswith(".json") else "xml"
        response: HttpResponse = open311_error_response(exc.status, exc.message, fmt)
    elif in_api:
        response = JsonResponse(envelope(exc.code, exc.message, exc.details), status=exc.status)
    else:
        context = {
            "title": PAGE_TITLES.get(exc.status, "Requête refusée"),
            "status": exc.status,
            "message": exc.message,
            "retry_after": getattr(exc, "retry_after", None),
        }
        template = "404.html" if exc.status == 404 else "web/erreur.html"  # one « Page introuvable » page
        response = render(request, template, context, status=exc.status)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _as_envelope(response: HttpResponse) -> HttpResponse:
    """Under /api/: an error answer that is not JSON becomes the envelope (same status, stable code)."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    code, message = STATUS_ERRORS.get(response.status_code, ("erreur_http", "La requête n'a pas abouti."))
    converted = JsonResponse(envelope(code, message), status=response.status_code)
    for header in ("Allow", "Retry-After"):
        if header in response:
            converted[header] = response[header]
    return converted
