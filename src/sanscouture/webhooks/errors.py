"""Webhook errors: a French message for people, a stable code for machines."""

from sanscouture.errors import DomainError, InvalidInput, NotFound, PermissionDeniedError


class InvalidWebhookUrl(InvalidInput):
    code = "webhook_url_invalide"


class UnknownEventType(InvalidInput):
    code = "webhook_evenement_inconnu"


class InvalidPersonalField(InvalidInput):
    code = "webhook_champ_inconnu"


class WebhookRefused(PermissionDeniedError):
    code = "webhook_refuse"


class SubscriptionNotFound(NotFound):
    code = "webhook_introuvable"


class DeliveryNotFound(NotFound):
    code = "livraison_introuvable"


class WebhookStateError(DomainError):
    code = "webhook_etat_invalide"
    status = 409
