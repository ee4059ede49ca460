"""Writes of the Open311 server: a service request opens a shared case with one task for the competent body."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.bodies.models import Body
from sanscouture.cases.fields import KIND_PIVOT, due_days
from sanscouture.cases.models import Case, CaseData, CaseEvent, Consent, Task
from sanscouture.cases.notify import notify_bodies
from sanscouture.cases.services import audit, token_hash

from .errors import BadRequest, Forbidden
from .models import ServiceRequest
from .permissions import may_file_in
from .selectors import Jurisdiction, Location, Service, service_route

LIFE_EVENT = "open311"
# The person's fields an Open311 request may carry, and the case data field each fills (cases/data/fields.yaml).
PERSON_FIELDS = {"last_name": "nom", "first_name": "prenoms", "email": "courriel", "phone": "telephone"}


@transaction.atomic
def service_request_create(
    *,
    jurisdiction: Jurisdiction,
    service: Service,
    location: Location,
    submitted_by: Body,
    actor: AbstractBaseUser,
    description: str = "",
    address_string: str = "",
    lat: Decimal | None = None,
    long: Decimal | None = None,
    media_url: str = "",
    person: dict[str, str] | None = None,
    consent: bool = False,
    today: date | None = None,
) -> ServiceRequest:
    """File an Open311 request: routing names the competent body for the service in the request's commune; a shared
    case opens with one task for it. The person's name, e-mail and phone are kept only with their consent (then the
    competent body gets the consent, like a declaration's), and are never returned by the Open311 reads."""
    today = today or timezone.localdate()
    commune = location.commune
    if commune.insee_code not in jurisdiction.communes:
        raise BadRequest(
            f"La commune {commune.name} ({commune.insee_code}) n'est pas dans la juridiction {jurisdiction.id}."
        )
    if not may_file_in(submitted_by, commune.insee_code):
        raise Forbidden(
            f"{submitted_by.name} ne dessert pas {commune.name} : sa clé d'API ne peut pas y déposer de demande."
        )
    answer = service_route(service, commune.insee_code, today)
    ids = [b.id for b in answer.bodies]
    if jurisdiction.body is not None:
        if jurisdiction.body.pk not in ids:
            raise BadRequest(
                f"{jurisdiction.body.name} n'est pas compétente pour « {service.name} » à {commune.name} : "
                "adressez la demande à la juridiction de la commune."
            )
        ids = [jurisdiction.body.pk]
    if not ids:
        raise BadRequest(f"Aucune structure compétente pour « {service.name} » à {commune.name}.")
    body = Body.objects.get(pk=ids[0])
    values = {}
    if consent:
        values = {PERSON_FIELDS[k]: v.strip()[:500] for k, v in (person or {}).items() if k in PERSON_FIELDS and v}
    case = Case.objects.create(
        life_event=LIFE_EVENT,
        life_event_title=f"Signalement : {service.name}"[:300],
        choices=[],
        commune=commune,
        submitted_by=actor,
        submitted_for_body=submitted_by,
        # Nobody follows an Open311 case by the private link: the client system follows it through Open311.
        person_token_hash=token_hash(secrets.token_urlsafe(32)),
    )
    CaseData.objects.create(case=case, values=values)
    if values:
        Consent.objects.create(case=case, body=body)
    pivot = service.subject if service.is_pivot else KIND_PIVOT.get(body.kind, body.kind)
    action = f"Signalement transmis par {submitted_by.name} (Open311)"
    if address_string:
        action += f", adresse : {address_string}"
    action += "." + (f"\n{description}" if description else "")
    task = Task.objects.create(
        case=case,
        body=body,
        pivot=pivot,
        title=service.name[:160],
        expected_action=action,
        steps=[],
        due_date=today + timedelta(days=due_days(pivot)),
    )
    request = ServiceRequest.objects.create(
        task=task,
        service_code=service.code,
        commune=commune,
        body=body,
        submitted_by=submitted_by,
        description=description,
        address_string=address_string,
        zipcode=location.zipcode,
        lat=lat,
        long=long,
        media_url=media_url,
    )
    CaseEvent.objects.create(
        case=case,
        kind="open311",
        text=f"Signalement « {service.name} » transmis par {submitted_by.name} (Open311), confié à {body.name}."[:500],
    )
    if values:
        audit(
            case=case,
            action="ecriture",
            fields=list(values),
            purpose="dépôt d'une demande Open311",
            user=actor,
            body=submitted_by,
        )
    notify_bodies(
        bodies=[body],
        kind="new_task",
        case=case,
        title=f"Nouveau signalement : {service.name}",
        text=f"Un signalement Open311 attend votre structure dans le dossier {case.reference}.",
        dedupe_key=f"new_task:{task.pk}",
        from_person=True,
    )
    return request
