"""Notifications shown in-app, and the e-mail outbox written in the same transaction as the change."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body


class NotificationKind(models.TextChoices):
    NEW_TASK = "new_task", "Nouvelle tâche"
    HANDOVER = "handover", "Orientation"
    MESSAGE = "message", "Message"
    DUE_SOON = "due_soon", "Échéance proche"
    INVITATION = "invitation", "Invitation"
    NOTICE = "notice", "Avis sur une action déclarée"
    OPINION = "opinion", "Demande d'avis sur un dossier"
    SHADOWING = "shadowing", "Vis mon job"
    GATHERING = "gathering", "Rencontre entre agents"
    WEBHOOK = "webhook", "Webhook"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user: object) -> "NotificationQuerySet":
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice for one agent: what happened, on which case (its public id), and where to look.

    Title and text name the case and the task, never the person (no name, NIR, phone or address):
    the same words go out by e-mail.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    body = models.ForeignKey(Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    url = models.CharField(max_length=300, help_text="Chemin relatif dans l'application (/dossiers/…)")
    # The case's public id, not a foreign key: cases is a higher layer.
    case_ref = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_dedupe_unique"),
            models.CheckConstraint(
                condition=Q(url__startswith="/") & ~Q(url__startswith="//"), name="notification_url_relative"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.title}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    SENDING = "sending", "En cours d'envoi"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "Échec"


class OutboxEmail(models.Model):
    """One e-mail to send, written in the caller's transaction; the worker claims, sends and marks it.

    `dedupe_key` is the caller's key plus the recipient id: the same event never queues two e-mails.
    `message_id` is derived from it, so a resend after a crash carries the same Message-ID.
    `last_error` holds an exception class name only (never a server reply, which may quote addresses).
    """

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=250)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # An iCalendar (RFC 5545) invitation, update or cancellation sent as a text/calendar attachment.
    calendar = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    dedupe_key = models.CharField(max_length=255, unique=True)
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "e-mail en attente"
        verbose_name_plural = "e-mails (boîte d'envoi)"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | Q(sent_at__isnull=False), name="outbox_sent_has_sent_at"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"e-mail {self.pk} ({self.get_status_display()})"
