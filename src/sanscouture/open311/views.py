"""Open311 GeoReport v2 endpoints under /open311/v2/ (docs/adr/023): XML (required by the spec) and JSON.

Thin views: arguments → selectors / services → a tree of dicts and lists rendered as XML or JSON (the Spark
convention: a list of elements becomes a JSON array). Errors in the spec's own format, never the API envelope.
"""

import json
import logging
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sanscouture.accounts.selectors import api_token_from_bearer
from sanscouture.accounts.services import api_token_touch
from sanscouture.errors import DomainError

from . import selectors
from .errors import BadRequest, Forbidden, Open311Error
from .models import ServiceRequest
from .selectors import Jurisdiction, Service
from .services import service_request_create

log = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00Z"  # the date this server's Open311 surface last changed
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The XML element of each item of a list (the JSON side is a plain array).
ITEM_TAGS = {
    "services": "service",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
}
MAX_DESCRIPTION = 4000


# --- Rendering ------------------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(ITEM_TAGS[tag], item))
    else:
        element.text = _text(value)
    return element


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def render(root: str, value: Any, fmt: str, status: int = 200) -> HttpResponse:
    """`root` names the XML document element; in JSON the value alone (a list stays a list, as in the spec)."""
    if fmt == "json":
        body = json.dumps(_jsonable(value), ensure_ascii=False)
    else:
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(_element(root, value), encoding="unicode")
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def error_response(status: int, description: str, fmt: str = "xml") -> HttpResponse:
    """The spec's errors: `<errors><error><code>…</code><description>…</description></error></errors>`."""
    return render("errors", [{"code": status, "description": description}], fmt, status=status)


def w3c(moment: datetime) -> str:
    """ISO 8601 with the time zone, as the spec requires (local time of the instance, with its offset)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- The view wrapper -----------------------------------------------------------------------------------------------


def open311(*methods: str) -> Callable:
    """Allowed methods, CSRF exemption (the api_key authenticates writes, no cookie is used) and the error model."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, format: str, **kwargs: Any) -> HttpResponse:  # noqa: A002
            try:
                if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                    response = error_response(405, f"Méthode {request.method} non autorisée ici.", format)
                    response["Allow"] = ", ".join(methods)
                    return response
                return view(request, format, **kwargs)
            except Open311Error as exc:
                return error_response(exc.status, exc.description, format)
            except DomainError as exc:  # a lower layer's refusal: the same words, in the spec's format
                return error_response(404 if exc.status == 404 else 400, exc.message, format)

        return wrapped

    return decorate


def _params(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else request.GET


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return selectors.jurisdiction_get(_params(request).get("jurisdiction_id"))


# --- Discovery and services -----------------------------------------------------------------------------------------


@open311("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"format": fmt})).rsplit("/", 1)[0]
    document = {
        "changeset": CHANGESET,
        "contact": "Le serveur Open311 de Sans Couture : un jurisdiction_id est un code INSEE de commune ou un SIREN.",
        "key_service": "Une clé d'API (api_key) est un jeton d'API d'une structure, créé par son administrateur.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render("discovery", document, fmt)


def _service_item(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": True,
        "type": "realtime",
        "keywords": service.keywords,
        "group": service.group,
    }


@open311("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return render("services", [_service_item(s) for s in selectors.services_for(jurisdiction)], fmt)


def _attributes(jurisdiction: Jurisdiction) -> list[dict[str, Any]]:
    communes = jurisdiction.communes
    commune = {
        "variable": True,
        "code": "commune",
        "datatype": "string",
        "required": False,
        "datatype_description": "Code INSEE de la commune (5 caractères). Sans lui, address_string doit contenir le "
        "code postal et le nom de la commune.",
        "order": 1,
        "description": "Commune où se trouve le signalement",
        "values": [],
    }
    if jurisdiction.commune is not None:
        commune["datatype"] = "singlevaluelist"
        commune["values"] = [{"key": communes[0], "name": jurisdiction.commune.name}]
    consent = {
        "variable": True,
        "code": "consentement",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Sans « oui », le nom, le courriel et le téléphone envoyés ne sont pas conservés.",
        "order": 2,
        "description": "La personne accepte que la structure compétente voie ses coordonnées",
        "values": [{"key": "oui", "name": "Oui"}, {"key": "non", "name": "Non"}],
    }
    return [commune, consent]


@open311("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    service = selectors.service_get(jurisdiction, service_code)
    document = {"service_code": service.code, "attributes": _attributes(jurisdiction)}
    return render("service_definition", document, fmt)


# --- Requests -------------------------------------------------------------------------------------------------------


def _agency(request: ServiceRequest) -> str:
    body = request.body
    return f"{body.name} (SIREN {body.siren})" if body.siren else body.name


def _notice(request: ServiceRequest) -> str:
    return f"Confié à {request.body.name}, à traiter avant le {request.task.due_date.strftime('%d/%m/%Y')}."


def _request_item(request: ServiceRequest) -> dict[str, Any]:
    """What GET returns of a request: never the person's fields (name, e-mail, phone are not even here)."""
    service = selectors.all_services().get(request.service_code)
    task = request.task
    expected = timezone.make_aware(datetime.combine(task.due_date, time(23, 59, 59)))
    return {
        "service_request_id": request.pk,
        "status": selectors.status_of(request),
        "status_notes": task.status_reason or None,
        "service_name": service.name if service else request.service_code,
        "service_code": request.service_code,
        "description": request.description or None,
        "agency_responsible": _agency(request),
        "service_notice": _notice(request),
        "requested_datetime": request.requested_at,
        "updated_datetime": max(task.updated_at, request.requested_at),
        "expected_datetime": expected,
        "address": request.address_string or None,
        "address_id": None,
        "zipcode": request.zipcode or None,
        "lat": request.lat,
        "long": request.long,
        "media_url": request.media_url or None,
    }


@csrf_exempt
def requests(request: HttpRequest, format: str) -> HttpResponse:  # noqa: A002
    """GET lists requests, POST files one (the same URL in the spec)."""
    if request.method == "POST":
        return _requests_create(request, format)
    if request.method not in ("GET", "HEAD"):
        response = error_response(405, f"Méthode {request.method} non autorisée ici.", format)
        response["Allow"] = "GET, POST"
        return response
    return _requests_list(request, format)


@open311("GET")
def _requests_list(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    params = request.GET
    found = selectors.requests_find(
        jurisdiction=jurisdiction,
        ids=selectors.csv_param(params.get("service_request_id")),
        service_codes=selectors.csv_param(params.get("service_code")),
        statuses=selectors.csv_param(params.get("status")),
        start=selectors.parse_datetime_param("start_date", params.get("start_date")),
        end=selectors.parse_datetime_param("end_date", params.get("end_date")),
    )
    return render("service_requests", [_request_item(r) for r in found], fmt)


def _coordinate(name: str, raw: str | None, limit: int) -> Decimal | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > limit:
        raise BadRequest(f"{name} invalide : « {value[:20]} » (WGS84, en degrés décimaux).")
    return number.quantize(Decimal("0.000001"))


def _text_param(params: Any, name: str, limit: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise BadRequest(f"{name} trop long : {limit} caractères au plus.")
    return value


@open311("POST")
def _requests_create(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    token = api_token_from_bearer((params.get("api_key") or "").strip())
    if token is None:
        raise Forbidden("api_key manquante ou invalide : utilisez un jeton d'API de votre structure.")
    api_token_touch(token=token)
    jurisdiction = _jurisdiction(request)
    service = selectors.service_get(jurisdiction, params.get("service_code"))
    lat = _coordinate("lat", params.get("lat"), 90)
    long = _coordinate("long", params.get("long"), 180)
    if (lat is None) != (long is None):
        raise BadRequest("lat et long vont ensemble : envoyez les deux, ou aucun.")
    address = _text_param(params, "address_string", 500)
    location = selectors.location_resolve(
        commune_code=params.get("attribute[commune]", ""), address_string=address, has_lat_long=lat is not None
    )
    description = _text_param(params, "description", MAX_DESCRIPTION)
    media_url = _text_param(params, "media_url", 500)
    if media_url and not media_url.startswith(("https://", "http://")):
        raise BadRequest("media_url doit être une adresse http(s).")
    consent = (params.get("attribute[consentement]") or "").strip().lower() in {"oui", "true", "1", "yes"}
    person = {k: _text_param(params, k, 200) for k in ("first_name", "last_name", "email", "phone")}
    created = service_request_create(
        jurisdiction=jurisdiction,
        service=service,
        location=location,
        submitted_by=token.body,
        actor=token.service_user,
        description=description,
        address_string=address,
        lat=lat,
        long=long,
        media_url=media_url,
        person=person,
        consent=consent,
    )
    # No personal value in the log line: ids and codes only (docs/adr/014).
    log.info("open311: demande %s (%s) déposée par %s", created.pk, service.code, token.body.key)
    item = {"service_request_id": created.pk, "service_notice": _notice(created), "account_id": None}
    return render("service_requests", [item], fmt)


@open311("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    found = selectors.request_get(jurisdiction, service_request_id)
    return render("service_requests", [_request_item(found)], fmt)


@open311("GET")
def token_detail(request: HttpRequest, fmt: str, open311_token: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    found = selectors.request_by_token(jurisdiction, open311_token)
    return render("service_requests", [{"service_request_id": found.pk, "token": str(found.token)}], fmt)


@open311("GET")
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    updates = selectors.updates_find(
        jurisdiction=jurisdiction,
        start=selectors.parse_datetime_param("start_date", request.GET.get("start_date")),
        end=selectors.parse_datetime_param("end_date", request.GET.get("end_date")),
    )
    items = [
        {
            "update_id": u.update_id,
            "service_request_id": u.request_id,
            "status": u.status,
            "updated_datetime": u.updated,
            "description": u.description,
            "media_url": None,
        }
        for u in updates
    ]
    return render("service_request_updates", items, fmt)


def not_found_any(request: HttpRequest, rest: str) -> HttpResponse:
    """/open311/… without a known resource: the spec's error, in JSON when the path asks for `.json`, else in XML
    (the spec's required format)."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return error_response(404, f"Ressource Open311 inconnue : voir /open311/v2/discovery.{fmt}.", fmt)
