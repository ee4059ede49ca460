"""Webhooks over the REST API (/api/v1/webhooks…): a body's administrator — or its API token of role référent —
subscribes, rotates the secret, disables, reactivates, reads deliveries and replays one. Thin: validate → service
/selector → serialize. A subscription of a body the caller does not manage is a 404."""

from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body

from .errors import WebhookRefused
from .models import EVENT_TYPES, Delivery, DeliveryStatus, Subscription
from .permissions import can_manage
from .schemas import DeliveryOut, EventTypeOut, SecretOut, WebhookCreatedOut, WebhookIn, WebhookOut
from .selectors import deliveries_of, delivery_get, secrets_expiry, subscription_get_for, subscriptions_for
from .services import (
    delivery_replay,
    subscription_create,
    subscription_disable,
    subscription_enable,
    subscription_secret_rotate,
)

router = Router(tags=["Webhooks"])
AUTH = list(agent_or_token)


def webhook_out(s: Subscription) -> dict:
    return {
        "id": s.public_id,
        "structure": s.body_id,
        "url": s.url,
        "description": s.description,
        "evenements": s.events,
        "champs_personnels": s.personal_fields,
        "statut": s.status,
        "statut_libelle": s.get_status_display(),
        "en_echec_depuis": s.failing_since,
        "desactive_le": s.disabled_at,
        "cree_le": s.created_at,
        "en_attente": getattr(s, "waiting", s.deliveries.exclude(status=DeliveryStatus.DELIVERED).count()),
        "livrees": getattr(s, "delivered", s.deliveries.filter(status=DeliveryStatus.DELIVERED).count()),
        "ancien_secret_valide_jusqu_au": secrets_expiry(s),
    }


def delivery_out(d: Delivery) -> dict:
    return {
        "id": d.message_id,
        "evenement": d.event_type,
        "statut": d.status,
        "tentatives": d.attempts,
        "dernier_code_http": d.last_status_code,
        "derniere_erreur": d.last_error,
        "derniere_tentative": d.last_attempt_at,
        "prochaine_tentative": d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
        "livree_le": d.delivered_at,
        "cree_le": d.created_at,
    }


@router.get("/webhooks/evenements", response=list[EventTypeOut], summary="Types d'événements des webhooks")
def webhook_event_types(request: HttpRequest) -> list[dict]:
    return [{"type": k, "libelle": v} for k, v in EVENT_TYPES.items()]


@router.get(
    "/webhooks",
    response={200: list[WebhookOut], **errors(401)},
    auth=AUTH,
    summary="Abonnements webhook des structures que vous administrez",
)
def webhooks_list(request: HttpRequest, structure: int | None = None) -> list[dict]:
    return [webhook_out(s) for s in subscriptions_for(request.user, body_id=structure)]


@router.post(
    "/webhooks",
    response={201: WebhookCreatedOut, **errors(400, 401, 403, 404)},
    auth=AUTH,
    summary="Abonner une adresse HTTPS à des événements (le secret n'est donné qu'une fois)",
    description="Envois signés selon Standard Webhooks 1.0 (en-têtes `webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`). Adresse non HTTPS ou menant à un réseau privé : 400 `webhook_url_invalide` ; type "
    "d'événement inconnu : 400 `webhook_evenement_inconnu` ; rien n'est créé.",
)
def webhooks_create(request: HttpRequest, payload: WebhookIn) -> Status[dict]:
    body = get_object_or_404(Body.objects.filter(active=True), pk=payload.structure)
    if not can_manage(request.user, body):
        raise WebhookRefused(f"Seul un administrateur de {body.name} gère ses webhooks.")
    subscription, secret = subscription_create(
        body=body,
        url=payload.url,
        events=payload.evenements,
        personal_fields=payload.champs_personnels,
        description=payload.description,
        actor=request.user,
    )
    return Status(201, {**webhook_out(subscription), "secret": secret})


@router.get(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **errors(401, 404)}, auth=AUTH, summary="Un abonnement"
)
def webhooks_get(request: HttpRequest, webhook_id: UUID) -> dict:
    return webhook_out(subscription_get_for(request.user, webhook_id))


@router.post(
    "/webhooks/{webhook_id}/secret",
    response={200: SecretOut, **errors(401, 404)},
    auth=AUTH,
    summary="Changer le secret (l'ancien signe encore 24 h : deux signatures par envoi)",
)
def webhooks_rotate(request: HttpRequest, webhook_id: UUID) -> dict:
    subscription = subscription_get_for(request.user, webhook_id)
    secret = subscription_secret_rotate(subscription=subscription, actor=request.user)
    return {"secret": secret, "ancien_secret_valide_jusqu_au": secrets_expiry(subscription)}


@router.post(
    "/webhooks/{webhook_id}/desactivation",
    response={200: WebhookOut, **errors(401, 404)},
    auth=AUTH,
    summary="Désactiver un abonnement (plus aucun envoi)",
)
def webhooks_disable(request: HttpRequest, webhook_id: UUID) -> dict:
    subscription = subscription_get_for(request.user, webhook_id)
    return webhook_out(subscription_disable(subscription=subscription, actor=request.user))


@router.post(
    "/webhooks/{webhook_id}/reactivation",
    response={200: WebhookOut, **errors(400, 401, 404)},
    auth=AUTH,
    summary="Réactiver un abonnement (les envois en attente partent, dans l'ordre)",
)
def webhooks_enable(request: HttpRequest, webhook_id: UUID) -> dict:
    subscription = subscription_get_for(request.user, webhook_id)
    return webhook_out(subscription_enable(subscription=subscription, actor=request.user))


@router.get(
    "/webhooks/{webhook_id}/livraisons",
    response={200: list[DeliveryOut], **errors(401, 404)},
    auth=AUTH,
    summary="Les 100 dernières livraisons d'un abonnement",
)
def webhooks_deliveries(request: HttpRequest, webhook_id: UUID, statut: DeliveryStatus | None = None) -> list[dict]:
    subscription = subscription_get_for(request.user, webhook_id)
    return [delivery_out(d) for d in deliveries_of(subscription, status=statut)]


@router.post(
    "/webhooks/{webhook_id}/livraisons/{livraison_id}/rejouer",
    response={200: DeliveryOut, **errors(401, 404, 409)},
    auth=AUTH,
    summary="Rejouer une livraison (même webhook-id : le récepteur reconnaît un doublon)",
)
def webhooks_replay(request: HttpRequest, webhook_id: UUID, livraison_id: str) -> dict:
    subscription = subscription_get_for(request.user, webhook_id)
    return delivery_out(delivery_replay(delivery=delivery_get(subscription, livraison_id), actor=request.user))
