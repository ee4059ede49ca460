"""Webhook subscriptions of a body, their secrets, and the delivery outbox written with each event."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body

# Stable event type names (a contract for the bodies' systems, docs/adr/024-webhooks.md).
EVENT_TYPES = {
    "dossier.ouvert": "Dossier ouvert (une tâche pour la structure)",
    "tache.modifiee": "Tâche modifiée (statut)",
    "orientation.proposee": "Orientation proposée",
    "orientation.acceptee": "Orientation acceptée",
    "orientation.refusee": "Orientation refusée",
    "message.nouveau": "Nouveau message dans un dossier",
    "avis.nouveau": "Nouvel avis sur une action déclarée",
}
# Wildcards accepted at subscription: "orientation.*" subscribes to the three hand-over events.
EVENT_PATTERNS = {"orientation.*"}


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Désactivée"
    SUSPENDED = "suspended", "Suspendue après 24 h d'échecs"


class Subscription(models.Model):
    """A body's HTTPS endpoint and the event types it receives.

    `personal_fields` is the field scope the body's administrator allows in payloads (empty: ids, types, statuses
    and links only); a field goes out only when the task's needs and the person's consent allow it too.
    `failing_since` is the start of the current run of failures: 24 h of them suspend the subscription."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.CharField(
        max_length=500, help_text="Adresse HTTPS publique (vérifiée à l'abonnement et à chaque envoi)"
    )
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    personal_fields = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "abonnement webhook"
        verbose_name_plural = "abonnements webhook"
        ordering = ["body", "created_at", "id"]
        indexes = [models.Index(fields=["body", "status"], name="webhook_sub_body_status_idx")]

    def __str__(self) -> str:
        return f"{self.body} → {self.url}"

    def wants(self, event_type: str) -> bool:
        family = event_type.split(".")[0] + ".*"
        return event_type in self.events or family in self.events


class Secret(models.Model):
    """A signing secret (`whsec_` + base64). Stored as is: HMAC needs it. After a rotation the old one keeps
    signing until `expires_at`, so a receiver verifies with either while it changes its configuration."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="secrets")
    value = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"secret {self.pk} de l'abonnement {self.subscription_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    SENDING = "sending", "En cours d'envoi"
    DELIVERED = "delivered", "Livrée"


class Delivery(models.Model):
    """One event for one subscription, written in the event's transaction (the outbox); the worker claims, sends
    and marks it. `message_id` is the `webhook-id` header, the same on every retry and replay (receivers dedupe
    on it). There is no terminal failure: an undelivered row waits, retried with backoff, until it is delivered
    or its subscription is suspended; it is sent once the subscription is reactivated."""

    message_id = models.CharField(max_length=40, unique=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    payload = models.TextField(help_text="Corps JSON exact, signé tel quel")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=100, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "livraison webhook"
        verbose_name_plural = "livraisons webhook"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["subscription", "created_at"], name="webhook_sub_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.get_status_display()})"
