"""Reads of the Open311 server: jurisdictions, services (from the catalogue and routing), requests and updates.

Every error is an Open311Error (400 / 403 / 404 with a French description), never the API envelope.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from django.db.models import QuerySet
from django.utils import timezone

from sanscouture.bodies.models import Body
from sanscouture.bodies.pivots import pivot_labels
from sanscouture.cases.fields import KIND_PIVOT
from sanscouture.cases.models import CaseEvent, TaskStatus
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import RoutingVersion
from sanscouture.competences.routing import Routing, communes_served, route, route_pivot
from sanscouture.errors import DomainError
from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound
from sanscouture.territories.models import Commune
from sanscouture.territories.selectors import commune_lookup, commune_resolve

from .errors import BadRequest, NotFound
from .models import ServiceRequest

INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
SIREN = re.compile(r"^\d{9}$")
POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
PIVOT_PREFIX = "guichet-"
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000

# Open311 statuses from task statuses; FixMyStreet's extended statuses for the updates (docs/adr/023).
OPEN311_STATUS = {
    TaskStatus.TODO: "open",
    TaskStatus.IN_PROGRESS: "open",
    TaskStatus.DONE: "closed",
    TaskStatus.NOT_APPLICABLE: "closed",
}
EXTENDED_STATUS = {
    TaskStatus.TODO: "open",
    TaskStatus.IN_PROGRESS: "in_progress",
    TaskStatus.DONE: "fixed",
    TaskStatus.NOT_APPLICABLE: "no_further_action",
}
TASK_STATUSES_OF = {
    "open": [s for s, o in OPEN311_STATUS.items() if o == "open"],
    "closed": [s for s, o in OPEN311_STATUS.items() if o == "closed"],
}
_STATUS_BY_LABEL = {s.label: s for s in TaskStatus}
_EVENT_STATUS = re.compile(r"tâche « (?P<label>[^»]+) »")


@dataclass(frozen=True)
class Jurisdiction:
    """What a `jurisdiction_id` designates: a current commune (INSEE code) or a body (SIREN)."""

    id: str
    commune: Commune | None = None
    body: Body | None = None

    @property
    def communes(self) -> tuple[str, ...]:
        if self.commune is not None:
            return (self.commune.insee_code,)
        return communes_served(self.body.key)  # type: ignore[union-attr]

    def requests(self) -> QuerySet[ServiceRequest]:
        if self.commune is not None:
            return ServiceRequest.objects.filter(commune=self.commune)
        return ServiceRequest.objects.filter(body=self.body)


@dataclass(frozen=True)
class Service:
    """One Open311 service: a competence of the catalogue, or a type of office (`guichet-<pivot>`)."""

    code: str
    name: str
    description: str
    group: str
    keywords: str
    subject: str
    is_pivot: bool


def jurisdiction_get(raw: str | None) -> Jurisdiction:
    """The jurisdiction a request names: 400 when absent or malformed, 404 when it names nothing."""
    value = (raw or "").strip().upper()
    if not value:
        raise BadRequest(
            "jurisdiction_id manquant : indiquez le code INSEE d'une commune ou le SIREN d'une structure publique."
        )
    if INSEE.match(value):
        try:
            resolution = commune_resolve(value)
        except (CommuneNotFound, AmbiguousCommune) as exc:
            raise NotFound(f"jurisdiction_id inconnu : {exc.message}") from None
        return Jurisdiction(id=value, commune=resolution.commune)
    if SIREN.match(value):
        body = Body.objects.active().filter(siren=value).exclude(key__startswith="annuaire:").order_by("pk").first()
        if body is None:
            raise NotFound(f"jurisdiction_id inconnu : aucune structure publique ne porte le SIREN {value}.")
        return Jurisdiction(id=value, body=body)
    raise BadRequest(
        f"jurisdiction_id invalide : « {value[:20]} ». Attendu : un code INSEE de commune (5 caractères) ou un SIREN "
        "(9 chiffres)."
    )


@cache
def all_services() -> dict[str, Service]:
    """Every service the server knows: the catalogue's competences, then the types of office."""
    services = {}
    for comp in catalogue().competences.values():
        services[comp.code] = Service(
            code=comp.code,
            name=comp.label,
            description=comp.description,
            group=comp.theme or "Autres compétences",
            keywords=", ".join(dict.fromkeys([comp.code, *comp.pivots])),
            subject=comp.code,
            is_pivot=False,
        )
    for pivot, label in pivot_labels().items():
        code = PIVOT_PREFIX + pivot
        assert code not in services, f"code de service en double : {code}"
        services[code] = Service(
            code=code,
            name=label,
            description=f"Demande adressée au guichet « {label} » compétent pour la commune.",
            group="Guichets",
            keywords=pivot,
            subject=pivot,
            is_pivot=True,
        )
    return services


def service_route(service: Service, commune_code: str, on: date | None = None) -> Routing:
    """Who answers for this service in this commune (routing, the one shared mechanism)."""
    if service.is_pivot:
        return route_pivot(service.subject, commune=commune_code, on=on)
    return route(service.subject, commune=commune_code, on=on)


_services_cache: dict[tuple, list[Service]] = {}


def services_for(jurisdiction: Jurisdiction, *, on: date | None = None) -> list[Service]:
    """The services that have a competent body in the jurisdiction: for a commune, those routing names a body
    for; for a body, those routing names it for in at least one commune it serves. Cached per routing version."""
    on = on or timezone.localdate()
    version = RoutingVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    key = (jurisdiction.id, on, version)
    if key not in _services_cache:
        if len(_services_cache) > 512:
            _services_cache.clear()
        _services_cache[key] = _compute_services(jurisdiction, on)
    return _services_cache[key]


def _compute_services(jurisdiction: Jurisdiction, on: date) -> list[Service]:
    found = []
    if jurisdiction.commune is not None:
        code = jurisdiction.commune.insee_code
        for service in all_services().values():
            if _routed(service, code, on):
                found.append(service)
        return found
    body = jurisdiction.body
    assert body is not None
    communes = jurisdiction.communes
    # A body answers for the types of office it is (its pivots): the other 240 types need not be asked.
    own_pivots = {*body.pivots, KIND_PIVOT.get(body.kind, "")}
    for service in all_services().values():
        if service.is_pivot and service.subject not in own_pivots:
            continue
        if any(body.pk in {b.id for b in _routed(service, code, on)} for code in communes):
            found.append(service)
    return found


def _routed(service: Service, commune_code: str, on: date) -> tuple:
    try:
        return service_route(service, commune_code, on).bodies
    except DomainError:
        return ()


def service_get(jurisdiction: Jurisdiction, code: str | None) -> Service:
    """A service of this jurisdiction: 400 without a code, 404 for a code unknown here."""
    code = (code or "").strip()
    if not code:
        raise BadRequest("service_code manquant : la liste est donnée par services.xml.")
    service = all_services().get(code)
    if service is None or service not in services_for(jurisdiction):
        raise NotFound(f"service_code inconnu pour la juridiction {jurisdiction.id} : « {code[:80]} ».")
    return service


@dataclass(frozen=True)
class Location:
    commune: Commune
    zipcode: str


def location_resolve(*, commune_code: str, address_string: str, has_lat_long: bool) -> Location:
    """The request's commune: the `commune` attribute (INSEE code) first, else a postcode and a commune name in
    `address_string`. Coordinates alone are refused: no geocoder ships with Sans Couture."""
    commune_code = (commune_code or "").strip().upper()
    if commune_code:
        if not INSEE.match(commune_code):
            raise BadRequest(f"attribute[commune] invalide : « {commune_code[:20]} » n'est pas un code INSEE.")
        try:
            resolution = commune_resolve(commune_code)
        except (CommuneNotFound, AmbiguousCommune) as exc:
            raise BadRequest(f"attribute[commune] : {exc.message}") from None
        return Location(commune=resolution.commune, zipcode=_postcode(address_string))
    if address_string.strip():
        return _from_address(address_string)
    if has_lat_long:
        raise BadRequest(
            "lat/long seuls ne suffisent pas : ce serveur ne géocode pas. Donnez la commune dans attribute[commune] "
            "(code INSEE) ou dans address_string (code postal et nom de la commune)."
        )
    raise BadRequest(
        "Localisation manquante : donnez attribute[commune] (code INSEE) ou address_string (code postal et nom de la "
        "commune)."
    )


def _postcode(text: str) -> str:
    found = POSTCODE.findall(text or "")
    return found[-1] if found else ""


def _from_address(address: str) -> Location:
    """'12 rue de la Mairie, 34380 Saint-Martin-de-Londres': the postcode narrows, the name after it decides."""
    postcode = _postcode(address)
    if not postcode:
        raise BadRequest(
            "address_string sans code postal : écrivez l'adresse avec le code postal et le nom de la commune "
            "(« 12 rue de la Mairie, 34380 Saint-Martin-de-Londres »), ou donnez attribute[commune]."
        )
    by_postcode = {m.commune.pk: m.commune for m in commune_lookup(postcode, limit=50).matches if m.why == "postcode"}
    if not by_postcode:
        raise BadRequest(f"address_string : aucun commune ne porte le code postal {postcode}.")
    name = address[address.rfind(postcode) + len(postcode) :].strip(" ,;-")
    if not name:  # 'Saint-Martin-de-Londres 34380': the name before the postcode
        name = address[: address.rfind(postcode)].rsplit(",", 1)[-1].strip(" ,;-")
    if name:
        named = [m.commune for m in commune_lookup(name, limit=20).matches if m.why != "approx"]
        chosen = [c for c in named if c.pk in by_postcode]
        if chosen:
            return Location(commune=chosen[0], zipcode=postcode)
    if len(by_postcode) == 1:
        return Location(commune=next(iter(by_postcode.values())), zipcode=postcode)
    names = ", ".join(sorted(c.name for c in by_postcode.values()))
    raise BadRequest(
        f"address_string : le code postal {postcode} couvre plusieurs communes ({names}) et le nom de la commune "
        "n'y figure pas. Ajoutez-le après le code postal, ou donnez attribute[commune]."
    )


def parse_datetime_param(name: str, raw: str | None) -> datetime | None:
    """A W3C datetime with its time zone (the spec requires it): anything else is a 400."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadRequest(
            f"{name} invalide : « {value[:40]} ». Attendu : une date ISO 8601 avec fuseau horaire, par exemple "
            "2026-06-01T08:00:00+02:00 ou 2026-06-01T06:00:00Z."
        )
    return parsed


def window(start: datetime | None, end: datetime | None, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The searched period: the last 90 days by default, never more than 90 days."""
    now = now or timezone.now()
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end  # type: ignore[operator]
    if end is None:
        end = start + WINDOW
    if end < start:
        raise BadRequest("end_date précède start_date.")
    if end - start > WINDOW:
        raise BadRequest("La période demandée dépasse 90 jours : réduisez l'écart entre start_date et end_date.")
    return start, end


def csv_param(raw: str | None) -> list[str]:
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


DISPLAYED = (
    "service_code",
    "description",
    "address_string",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "requested_at",
    "task__status",
    "task__status_reason",
    "task__due_date",
    "task__updated_at",
    "body__name",
    "body__siren",
)


def _for_display(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """The columns GET shows, and no other: the bodies' and communes' JSON columns cost a decode per row."""
    return qs.select_related("task", "body").only(*DISPLAYED)


def requests_find(
    *,
    jurisdiction: Jurisdiction,
    ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ServiceRequest]:
    """GET requests: by ids (which override every other filter, as the spec says), else by service, status and
    period (90 days by default); newest first, at most 1,000."""
    qs = _for_display(jurisdiction.requests())
    if ids:
        if len(ids) > MAX_IDS:
            raise BadRequest(f"Trop d'identifiants : {MAX_IDS} au plus.")
        numbers = []
        for value in ids:
            if not value.isdigit() or len(value) > 18:
                raise BadRequest(f"service_request_id invalide : « {value[:20]} ».")
            numbers.append(int(value))
        return list(qs.filter(pk__in=numbers).order_by("-requested_at", "-pk"))
    if service_codes:
        unknown = [c for c in service_codes if c not in all_services()]
        if unknown:
            raise BadRequest(f"service_code inconnu : « {unknown[0][:80]} ».")
        qs = qs.filter(service_code__in=service_codes)
    if statuses:
        wrong = [s for s in statuses if s.lower() not in TASK_STATUSES_OF]
        if wrong:
            raise BadRequest(f"status invalide : « {wrong[0][:20]} ». Valeurs possibles : open, closed.")
        qs = qs.filter(task__status__in=[t for s in statuses for t in TASK_STATUSES_OF[s.lower()]])
    since, until = window(start, end)
    qs = qs.filter(requested_at__gte=since, requested_at__lte=until)
    return list(qs.order_by("-requested_at", "-pk")[:MAX_RESULTS])


def request_get(jurisdiction: Jurisdiction, raw_id: str) -> ServiceRequest:
    if not raw_id.isdigit() or len(raw_id) > 18:
        raise NotFound(f"service_request_id inconnu : « {raw_id[:20]} ».")
    found = (
        jurisdiction.requests().select_related("task", "task__case", "body", "commune").filter(pk=int(raw_id)).first()
    )
    if found is None:
        raise NotFound(f"service_request_id inconnu pour la juridiction {jurisdiction.id} : {raw_id}.")
    return found


def request_by_token(jurisdiction: Jurisdiction, raw: str) -> ServiceRequest:
    try:
        token = uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"token inconnu : « {raw[:40]} ».") from None
    found = jurisdiction.requests().filter(token=token).first()
    if found is None:
        raise NotFound(f"token inconnu pour la juridiction {jurisdiction.id}.")
    return found


def status_of(request: ServiceRequest) -> str:
    return OPEN311_STATUS[TaskStatus(request.task.status)]


@dataclass(frozen=True)
class Update:
    """One FixMyStreet request update: a status change of the request's task."""

    update_id: str
    request_id: int
    status: str
    updated: datetime
    description: str


def updates_find(*, jurisdiction: Jurisdiction, start: datetime | None, end: datetime | None) -> list[Update]:
    """FixMyStreet's `servicerequestupdates`: the status changes of the jurisdiction's requests in the period (90 days
    by default), oldest first, at most 1,000. Each is a case event of the task's body (written by cases)."""
    since, until = window(start, end)
    events = list(
        CaseEvent.objects.filter(
            kind="task_status",
            created_at__gte=since,
            created_at__lte=until,
            case_id__in=jurisdiction.requests().values("task__case_id"),
        )
        .order_by("created_at", "pk")
        .values_list("pk", "case_id", "body_id", "created_at", "text")[:MAX_RESULTS]
    )
    requests = {
        case_id: (pk, body_id, status)
        for pk, case_id, body_id, status in ServiceRequest.objects.filter(
            task__case_id__in={e[1] for e in events}
        ).values_list("pk", "task__case_id", "body_id", "task__status")
    }
    updates = []
    for pk, case_id, body_id, created_at, text in events:
        request_id, request_body, current = requests[case_id]
        if body_id != request_body:
            continue
        m = _EVENT_STATUS.search(text)
        status = _STATUS_BY_LABEL.get(m["label"]) if m else None
        status = status or TaskStatus(current)
        updates.append(
            Update(
                update_id=str(pk),
                request_id=request_id,
                status=EXTENDED_STATUS[status],
                updated=created_at,
                description=text,
            )
        )
    return updates
