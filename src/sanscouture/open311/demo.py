"""Demo: a household-waste collection report from the mairie of Saint-Martin-de-Londres's system, through Open311,
routed to the CC du Grand Pic Saint-Loup (the issue's example). Idempotent."""

from sanscouture.accounts.models import ApiToken
from sanscouture.bodies.models import Body

from .models import ServiceRequest
from .selectors import all_services, jurisdiction_get, location_resolve
from .services import service_request_create

DESCRIPTION = "DÉMO — Bacs non ramassés rue de la Croix depuis mardi."


def demo_open311() -> ServiceRequest:
    """The demo request, created once; the CC's agents find it in « Mes tâches »."""
    existing = ServiceRequest.objects.filter(description=DESCRIPTION).first()
    if existing is not None:
        return existing
    mairie = Body.objects.get(key="mairie:34274")
    token = ApiToken.objects.filter(body=mairie, revoked_at__isnull=True).select_related("service_user").first()
    assert token is not None, "demo_api_tokens() d'abord"
    return service_request_create(
        jurisdiction=jurisdiction_get("34274"),
        service=all_services()["dechets-menagers"],
        location=location_resolve(
            commune_code="34274", address_string="Rue de la Croix, 34380 Saint-Martin-de-Londres", has_lat_long=False
        ),
        submitted_by=mairie,
        actor=token.service_user,
        description=DESCRIPTION,
        address_string="Rue de la Croix, 34380 Saint-Martin-de-Londres",
    )
