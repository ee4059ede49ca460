"""Shared cases (guichet unique): one declaration, one case, one task per competent body.

Every query for case data starts from a queryset scoped to the agent's bodies (`Case.objects.visible_to`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.territories.models import Commune


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":  # noqa: ANN001
        """Cases in which one of the user's bodies has (or had) a task. Anything else is a 404."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(tasks__body__memberships__user=user).distinct()


class CaseStatus(models.TextChoices):
    OPEN = "open", "En cours"
    CLOSED = "closed", "Clos"


class Case(models.Model):
    """One shared case opened by one declaration of a person (or of an agent on their behalf)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    life_event = models.CharField(max_length=20, help_text="Identifiant de la fiche du moment de vie (F…)")
    life_event_title = models.CharField(max_length=300)
    choices = models.JSONField(default=list, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    commune_from = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Agent qui a déposé la déclaration pour la personne",
    )
    submitted_for_body = models.ForeignKey(Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    person_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "dossier partagé"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="case_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"Dossier {self.reference}"

    @property
    def reference(self) -> str:
        return str(self.public_id)[:8].upper()


class CaseData(models.Model):
    """The person's data, stored once per case (fields of cases/data/fields.yaml). Emptied by the purge."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="data")
    values = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Données du {self.case}"


class Consent(models.Model):
    """The person's permission for a body to see the data its tasks need. Revocable; history kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "body"], name="consent_case_body_unique")]

    def __str__(self) -> str:
        return f"Consentement {self.case} → {self.body}"


class TaskStatus(models.TextChoices):
    TODO = "todo", "À faire"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Fait"
    NOT_APPLICABLE = "not_applicable", "Sans objet"


OPEN_TASK_STATUSES = (TaskStatus.TODO, TaskStatus.IN_PROGRESS)


class TaskQuerySet(models.QuerySet):
    def for_user(self, user) -> "TaskQuerySet":  # noqa: ANN001
        if not user.is_authenticated:
            return self.none()
        # Body ids first: a join through memberships plus DISTINCT made both engines sort every task of the
        # body (300 ms with 100,000 cases); a plain IN on the indexed column reads one page (benchmarks).
        body_ids = list(user.memberships.filter(body__active=True).values_list("body_id", flat=True))
        return self.filter(body_id__in=body_ids)

    def open(self) -> "TaskQuerySet":
        return self.filter(status__in=OPEN_TASK_STATUSES)


class Task(models.Model):
    """A body's part of a case: the steps of the journey it answers for, what it is expected to do, by when."""

    # Indexed by `task_case_status_body` below (case first), which also serves the foreign key.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="tasks")
    unit = models.ForeignKey(
        BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", help_text="Service chargé"
    )
    pivot = models.CharField(max_length=60, help_text="Type de guichet qui a donné la tâche")
    title = models.CharField(max_length=300)
    expected_action = models.TextField()
    steps = models.JSONField(default=list, help_text="Étapes du parcours concernées")
    commune_role = models.CharField(max_length=10, default="arrivee", help_text="arrivee ou depart")
    due_date = models.DateField()
    status = models.CharField(max_length=15, choices=TaskStatus.choices, default=TaskStatus.TODO)
    status_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = "tâche"
        indexes = [
            models.Index(fields=["body", "status", "due_date"], name="task_body_status_due"),
            models.Index(fields=["body", "due_date", "id"], name="task_body_due"),
            # A case's tasks, and "has this case an open task of these bodies" read from the index alone
            # (impacts.affected_cases at a million cases, benchmarks/bench_scale.py).
            models.Index(fields=["case", "status", "body"], name="task_case_status_body"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="not_applicable") | ~Q(status_reason=""), name="task_not_applicable_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body} — {self.title}"


class HandoverStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"
    EXPIRED = "expired", "Expirée sans réponse"


class RefusalReason(models.TextChoices):
    """Why a body does not take a hand-over: a structured reason, with free text when it is "other"."""

    NOT_COMPETENT = "not_competent", "Ce n'est pas de notre compétence"
    OUT_OF_TERRITORY = "out_of_territory", "La personne ne relève pas de notre territoire"
    MISSING_INFORMATION = "missing_information", "Il manque des informations pour la reprendre"
    ALREADY_HANDLED = "already_handled", "C'est déjà traité"
    OTHER = "other", "Autre motif"


class Handover(models.Model):
    """Passing a task to another body (orientation), which accepts or refuses it, with a reason."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="handovers")
    from_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    to_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="handovers_received")
    # Services, when known: a hand-over inside one body goes from one of its services to another (docs/adr/018).
    from_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=1000)
    steps = models.JSONField(default=list, blank=True, help_text="Étapes orientées (vide : toute la tâche)")
    status = models.CharField(max_length=10, choices=HandoverStatus.choices, default=HandoverStatus.PENDING)
    decision_reason = models.CharField(max_length=1000, blank=True)
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    reason_visible_to_person = models.BooleanField(default=False, help_text="La personne voit le motif du refus")
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "orientation"
        constraints = [
            models.UniqueConstraint(fields=["task"], condition=Q(status="pending"), name="one_pending_handover"),
            models.CheckConstraint(
                condition=~Q(from_body=models.F("to_body"))
                | (Q(to_unit__isnull=False) & (Q(from_unit__isnull=True) | ~Q(from_unit=models.F("to_unit")))),
                name="handover_to_another_body_or_service",
            ),
        ]

    def __str__(self) -> str:
        return f"Orientation {self.from_body} → {self.to_body}"


class OpinionStatus(models.TextChoices):
    ASKED = "asked", "Demandé"
    GIVEN = "given", "Donné"


class OpinionRequest(models.Model):
    """An opinion asked of another body (or one of its services) on a task, without handing the task over
    (docs/adr/017). The asked body reads the question and the case's tasks, never the person's data unless its own
    consent and open tasks allow it; its answer goes back to the asking body and stays in the case."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="opinions")
    from_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="opinions_asked")
    to_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    question = models.CharField(max_length=2000)
    answer = models.CharField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=OpinionStatus.choices, default=OpinionStatus.ASKED)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = "demande d'avis"
        constraints = [
            models.CheckConstraint(condition=~Q(from_body=models.F("to_body")), name="opinion_to_another_body"),
            models.CheckConstraint(
                condition=Q(status="asked", answered_at__isnull=True)
                | Q(status="given", answered_at__isnull=False) & ~Q(answer=""),
                name="opinion_given_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"Avis {self.from_body} → {self.to_body}"


class Message(models.Model):
    """A message between a body and the person, seen by the person and every body of the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_person = models.BooleanField(default=False)
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Message du {self.created_at:%d/%m/%Y}"


class Note(models.Model):
    """An internal note: seen only inside the body that wrote it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Note interne du {self.created_at:%d/%m/%Y}"


class OutcomeRating(models.TextChoices):
    YES = "yes", "Oui, tout s'est bien passé"
    PARTLY = "partly", "En partie"
    NO = "no", "Non"


class Outcome(models.Model):
    """The person's word, once every task of the case is over: did the whole thing work for them (optional, one
    free sentence). Every agent who worked the case reads it beside the other bodies' outcomes."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="outcome")
    rating = models.CharField(max_length=10, choices=OutcomeRating.choices)
    sentence = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rating}"


class CaseEvent(models.Model):
    """What happened on a case, in words the person reads ("La CAF de l'Hérault a terminé sa tâche")."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class AccessLog(models.Model):
    """One row per read or write of personal data, in the same transaction. Append-only (database trigger).

    `case_ref` is the case's public id as text: the journal outlives the purge of the case's data.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.ForeignKey(Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_person = models.BooleanField(default=False)
    case_ref = models.CharField(max_length=36, db_index=True)
    action = models.CharField(max_length=10)  # lecture | ecriture | refus
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=200)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "journal des accès"

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} {self.case_ref}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` of a creating API call and the response it got, written in the transaction of the
    creation: the same key sent again (by the same caller) gets the same response and creates nothing."""

    caller = models.CharField(max_length=80, help_text="user:<id> pour un agent, anonyme sinon")
    key = models.CharField(max_length=200)
    operation = models.CharField(max_length=60)
    fingerprint = models.CharField(max_length=64, help_text="Empreinte de l'opération et de sa requête")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "clé d'idempotence"
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key_unique")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
