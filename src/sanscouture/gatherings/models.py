"""Gatherings between the agents of a territory's bodies (« fête des voisins au travail », issue 13 item 2): the
gathering, the bodies invited, each agent's invitation with their reply and attendance."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sanscouture.bodies.models import Body


class GatheringStatus(models.TextChoices):
    SCHEDULED = "prevue", "Prévue"
    CANCELLED = "annulee", "Annulée"


class GatheringQuerySet(models.QuerySet):
    def for_bodies(self, body_ids: set[int]) -> "GatheringQuerySet":
        """The gatherings these bodies organise or are invited to."""
        return self.filter(Q(organiser_id__in=body_ids) | Q(invited__body_id__in=body_ids)).distinct()


class Gathering(models.Model):
    """A gathering a body organises for the agents of every body of a territory (an intercommunalité by default).
    `uid` names it in every calendar file (RFC 5545 UID); `sequence` grows by one at each update or cancellation."""

    organiser = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=4000)
    place = models.CharField(max_length=300)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Places ; vide : sans limite")
    territory = models.CharField(max_length=40, help_text="epci:<siren> ou departement:<code>")
    territory_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=GatheringStatus.choices, default=GatheringStatus.SCHEDULED)
    uid = models.CharField(max_length=80, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = GatheringQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = "rencontre"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="gathering_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d/%m/%Y})"

    @property
    def cancelled(self) -> bool:
        return self.status == GatheringStatus.CANCELLED

    @property
    def shown_status(self) -> str:
        """The status a person reads: the stored one, until the gathering has ended (« Passée », or « Tenue » once
        its attendance is recorded). Derived, so that nothing has to flip it when the date passes."""
        if self.cancelled or self.ends_at >= timezone.now():
            return self.get_status_display()
        return "Tenue" if self.attendance_recorded_at else "Passée"


class GatheringBody(models.Model):
    """A body whose agents are invited, and why (its commune is a member, it is the EPCI, it is competent there)."""

    gathering = models.ForeignKey(Gathering, on_delete=models.CASCADE, related_name="invited")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "structure invitée"
        constraints = [models.UniqueConstraint(fields=["gathering", "body"], name="gathering_body_once")]

    def __str__(self) -> str:
        return f"{self.body_id} → {self.gathering_id}"


class Reply(models.TextChoices):
    NONE = "", "Sans réponse"
    YES = "oui", "Oui"
    NO = "non", "Non"
    MAYBE = "peut_etre", "Peut-être"


class Invitation(models.Model):
    """One agent invited through one of their bodies. A « oui » beyond the capacity waits (`waitlisted_at`, first
    come first promoted). `token_hash`: the private reply link's token, hashed (the token itself is derived from
    SECRET_KEY and `nonce`, so that every e-mail can carry it again; it is never stored nor logged)."""

    gathering = models.ForeignKey(Gathering, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64, unique=True)
    reply = models.CharField(max_length=10, choices=Reply.choices, default=Reply.NONE, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "invitation"
        constraints = [models.UniqueConstraint(fields=["gathering", "user"], name="invitation_once_per_agent")]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.get_reply_display()})"

    @property
    def confirmed(self) -> bool:
        return self.reply == Reply.YES and self.waitlisted_at is None

    @property
    def state(self) -> str:
        """oui / non / peut_etre / liste_attente / sans_reponse."""
        if self.reply == Reply.YES and self.waitlisted_at is not None:
            return "liste_attente"
        return self.reply or "sans_reponse"
