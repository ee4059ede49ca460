"""Vis mon job (issue 13, item 1): agents who opt in to show their job and discover another's, the pairs they form
(between two services of one body, or between two bodies), the workflow of a pair from proposal to feedback, and its
journal. A completed pair becomes one `gathering` interaction of the network's ledger (written at completion)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body, BodyUnit


class Profile(models.Model):
    """An agent's opt-in to « vis mon job » for one of their bodies: their job, their services, what they can show,
    what they would like to discover, when they are available. Seen by the agents of the bodies on the platform
    (that is what opting in means); deleted when the agent opts out."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    units = models.ManyToManyField(BodyUnit, blank=True, related_name="+")
    job = models.CharField(max_length=150, help_text="Métier ou fonction")
    can_show = models.TextField(max_length=1000, help_text="Ce que l'agent peut montrer de son métier")
    wants_to_discover = models.TextField(max_length=1000, blank=True, help_text="Ce qu'il aimerait découvrir")
    availability = models.CharField(max_length=300, blank=True, help_text="Disponibilités (texte libre)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["body__name", "job"]
        verbose_name = "inscription à vis mon job"
        constraints = [models.UniqueConstraint(fields=["user", "body"], name="shadowing_profile_once_per_body")]

    def __str__(self) -> str:
        return f"{self.job} — {self.body_id}"


class PairStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposé, en attente de l'autre agent"
    ACCEPTED = "accepted", "Accepté par les deux agents, en attente des administrateurs"
    APPROVED = "approved", "Approuvé, dates à fixer"
    SCHEDULED = "scheduled", "Dates fixées, convention prête"
    DONE = "done", "Réalisé"
    REFUSED = "refused", "Refusé"
    WITHDRAWN = "withdrawn", "Retiré"


OPEN_STATUSES = (PairStatus.PROPOSED, PairStatus.ACCEPTED, PairStatus.APPROVED, PairStatus.SCHEDULED)


class PairQuerySet(models.QuerySet):
    def visible_to(self, *, user: object, admin_body_ids: set[int]) -> "PairQuerySet":
        """An agent's own pairs, and every pair of the bodies they administer (or act for with a token)."""
        return self.filter(
            Q(a_user=user) | Q(b_user=user) | Q(a_body_id__in=admin_body_ids) | Q(b_body_id__in=admin_body_ids)
        )

    def completed_between(self, since: object, until: object) -> "PairQuerySet":
        return self.filter(status=PairStatus.DONE, end__gte=since, end__lte=until)


class Pair(models.Model):
    """Two agents who swap for a day or more: `a` proposed, `b` was asked. Internal when both are in one body
    (between two of its services), otherwise between two bodies. Each side's agent accepts (the proposer by
    proposing), then each body's administrator approves (once for an internal pair), then dates are set, the
    convention is printable and the invitations (iCalendar) are e-mailed; after the last day it is done and each
    agent leaves feedback. Refused or withdrawn at any step before done, with a reason."""

    a_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    a_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    a_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    b_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    b_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    b_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.TextField(max_length=2000, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="Raisons de la suggestion, quand il y en a une")
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.PROPOSED)
    b_accepted_at = models.DateTimeField(null=True, blank=True)
    a_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    a_approved_at = models.DateTimeField(null=True, blank=True)
    b_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    b_approved_at = models.DateTimeField(null=True, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    day_start = models.TimeField(null=True, blank=True)
    day_end = models.TimeField(null=True, blank=True)
    place = models.CharField(max_length=300, blank=True)
    # The invitation's RFC 5545 SEQUENCE: 0 when first sent, +1 at each change of dates and at cancellation.
    sequence = models.PositiveIntegerField(default=0)
    invitations_sent = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PairQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "binôme vis mon job"
        constraints = [
            models.CheckConstraint(condition=~Q(a_user=models.F("b_user")), name="shadowing_pair_two_agents"),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__gte=models.F("start")), name="shadowing_pair_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Binôme {self.pk} ({self.get_status_display()})"

    @property
    def internal(self) -> bool:
        return self.a_body_id == self.b_body_id

    @property
    def approved_by_both(self) -> bool:
        if self.internal:
            return self.a_approved_at is not None or self.b_approved_at is not None
        return self.a_approved_at is not None and self.b_approved_at is not None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


class PairAction(models.TextChoices):
    PROPOSED = "proposed", "Proposition"
    ACCEPTED = "accepted", "Acceptation par l'agent"
    REFUSED = "refused", "Refus"
    APPROVED = "approved", "Approbation de l'administrateur"
    REJECTED = "rejected", "Refus de l'administrateur"
    SCHEDULED = "scheduled", "Dates fixées"
    WITHDRAWN = "withdrawn", "Retrait"
    DONE = "done", "Réalisation"
    FEEDBACK = "feedback", "Retour d'expérience"


class PairEvent(models.Model):
    """The journal of a pair: who did what, when, with which reason. Append-only by convention."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=PairAction.choices)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.pair_id})"


class Feedback(models.Model):
    """Each agent's short feedback once the pair is done: what they learnt, and whether it will change how they work
    with the other service or body (1 not at all … 4 a lot)."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="feedbacks")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=2000)
    usefulness = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "author"], name="shadowing_feedback_once"),
            models.CheckConstraint(condition=Q(usefulness__gte=1, usefulness__lte=4), name="shadowing_usefulness_1_4"),
        ]

    def __str__(self) -> str:
        return f"Retour {self.pair_id}"
