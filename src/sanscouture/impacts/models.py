"""Responsabilité collective: actions a body declares, the notices its effects send to the other bodies, their
answers, and open opinions. Every notice, answer and reminder is also one `Exchange` row between two bodies (the
network app reads that ledger, see `selectors.exchanges_between`)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sanscouture.bodies.models import Body
from sanscouture.territories.models import Commune


class ActionKind(models.TextChoices):
    ROAD_WORKS = "travaux_voirie", "Travaux de voirie"
    NETWORK_WORKS = "travaux_reseaux", "Travaux sur les réseaux"
    COUNTER = "guichet", "Fermeture ou changement d'horaires d'un guichet"
    RULE = "regle", "Changement de règle, de tarif ou de critère"
    TRANSFER = "transfert", "Transfert de compétence"
    EVENT = "evenement", "Événement"
    TIMETABLE = "service", "Changement d'horaires ou d'organisation d'un service"


# GTFS-realtime's enumerations (Alert.Cause, Alert.Effect, Alert.SeverityLevel), values kept as GTFS-rt spells them
# so that a feed can carry them as is; labels in French.
class Cause(models.TextChoices):
    UNKNOWN_CAUSE = "UNKNOWN_CAUSE", "Cause inconnue"
    OTHER_CAUSE = "OTHER_CAUSE", "Autre cause"
    TECHNICAL_PROBLEM = "TECHNICAL_PROBLEM", "Problème technique"
    STRIKE = "STRIKE", "Grève"
    DEMONSTRATION = "DEMONSTRATION", "Manifestation"
    ACCIDENT = "ACCIDENT", "Accident"
    HOLIDAY = "HOLIDAY", "Congés, jour férié"
    WEATHER = "WEATHER", "Météo"
    MAINTENANCE = "MAINTENANCE", "Entretien"
    CONSTRUCTION = "CONSTRUCTION", "Travaux"
    POLICE_ACTIVITY = "POLICE_ACTIVITY", "Opération de police"
    MEDICAL_EMERGENCY = "MEDICAL_EMERGENCY", "Urgence médicale"


class Effect(models.TextChoices):
    NO_SERVICE = "NO_SERVICE", "Service interrompu"
    REDUCED_SERVICE = "REDUCED_SERVICE", "Service réduit"
    SIGNIFICANT_DELAYS = "SIGNIFICANT_DELAYS", "Retards importants"
    DETOUR = "DETOUR", "Déviation"
    ADDITIONAL_SERVICE = "ADDITIONAL_SERVICE", "Service supplémentaire"
    MODIFIED_SERVICE = "MODIFIED_SERVICE", "Service modifié"
    OTHER_EFFECT = "OTHER_EFFECT", "Autre effet"
    UNKNOWN_EFFECT = "UNKNOWN_EFFECT", "Effet inconnu"
    STOP_MOVED = "STOP_MOVED", "Point d'accueil ou arrêt déplacé"
    NO_EFFECT = "NO_EFFECT", "Sans effet"
    ACCESSIBILITY_ISSUE = "ACCESSIBILITY_ISSUE", "Problème d'accessibilité"


class Severity(models.TextChoices):
    UNKNOWN_SEVERITY = "UNKNOWN_SEVERITY", "Gravité inconnue"
    INFO = "INFO", "Information"
    WARNING = "WARNING", "Avertissement"
    SEVERE = "SEVERE", "Grave"


class ActionStatus(models.TextChoices):
    DRAFT = "brouillon", "Brouillon"
    TO_VALIDATE = "a_valider", "À valider par l'administrateur"
    PUBLISHED = "publiee", "Publiée"
    CORRECTED = "corrigee", "Corrigée"
    WITHDRAWN = "retiree", "Retirée"


PUBLIC_STATUSES = (ActionStatus.PUBLISHED, ActionStatus.CORRECTED)


class ActionQuerySet(models.QuerySet):
    def public(self) -> "ActionQuerySet":
        return self.filter(status__in=PUBLIC_STATUSES)

    def visible_to(self, user) -> "ActionQuerySet":  # noqa: ANN001
        """Published actions for every agent; drafts and withdrawn ones only inside the declaring body."""
        if not user.is_authenticated:
            return self.none()
        mine = Body.objects.filter(memberships__user=user, active=True).values("pk")
        return self.filter(Q(status__in=PUBLIC_STATUSES) | Q(body__in=mine))


class Action(models.Model):
    """A planned action of a body (works, a counter closing, a rule change…) on a territory, for a period."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="impact_actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    contact = models.CharField(max_length=300, blank=True)
    cause = models.CharField(max_length=20, choices=Cause.choices, default=Cause.OTHER_CAUSE)
    effect = models.CharField(max_length=20, choices=Effect.choices, default=Effect.MODIFIED_SERVICE)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.INFO)
    start = models.DateField(help_text="Début prévu")
    end = models.DateField(help_text="Fin prévue")
    actual_start = models.DateField(null=True, blank=True, help_text="Début effectif (annoncé ensuite)")
    actual_end = models.DateField(null=True, blank=True, help_text="Fin effective (annoncée ensuite)")
    territory = models.CharField(max_length=20, blank=True, help_text="epci:<siren>, departement:<code>, region:<code>")
    communes = models.ManyToManyField(Commune, related_name="+")
    competences = models.JSONField(default=list, blank=True)
    pivots = models.JSONField(default=list, blank=True)
    life_events = models.JSONField(default=list, blank=True)
    counter = models.ForeignKey(
        Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Guichet de la structure"
    )
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    changes = models.CharField(max_length=1000, blank=True, help_text="Ce qui a changé à la dernière correction")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "action déclarée"
        indexes = [models.Index(fields=["status", "start", "end"], name="action_status_period")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="action_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class Answer(models.TextChoices):
    NOT_CONCERNED = "non_concerne", "Non concerné"
    TAKEN_INTO_ACCOUNT = "pris_en_compte", "Pris en compte"
    ADAPTATION = "adaptation", "Adaptation proposée"
    OBJECTION = "objection", "Objection"
    QUESTION = "question", "Question"


ANSWERS_WITH_TEXT = (Answer.ADAPTATION, Answer.OBJECTION, Answer.QUESTION)


class NoticeKind(models.TextChoices):
    IMPACT = "impact", "Structure concernée"
    CLASH = "conflit", "Action concurrente"


class NoticeQuerySet(models.QuerySet):
    def for_user(self, user) -> "NoticeQuerySet":  # noqa: ANN001
        if not user.is_authenticated:
            return self.none()
        body_ids = list(user.memberships.filter(body__active=True).values_list("body_id", flat=True))
        return self.filter(body_id__in=body_ids)


class Notice(models.Model):
    """What an affected body is told of an action (avis), with the reasons, and the answer it owes by `due_on`."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notices")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="impact_notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices, default=NoticeKind.IMPACT)
    communes = models.JSONField(default=list, help_text="Codes INSEE des communes où la structure est concernée")
    reasons = models.JSONField(default=list, help_text="Chaînes de raisons, en phrases")
    version = models.PositiveIntegerField(default=1, help_text="Version de l'action envoyée")
    sent_at = models.DateTimeField()
    due_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=15, choices=Answer.choices, blank=True)
    answer_text = models.TextField(max_length=5000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    receipt = models.CharField(max_length=40, blank=True, help_text="Numéro de l'accusé de réception de la réponse")

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = "avis"
        verbose_name_plural = "avis"
        indexes = [models.Index(fields=["body", "due_on"], name="notice_body_due")]
        constraints = [
            models.UniqueConstraint(fields=["action", "body"], name="notice_action_body_unique"),
            models.CheckConstraint(
                condition=Q(answer="") | Q(answered_at__isnull=False), name="notice_answer_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Avis {self.action} → {self.body}"


class ExchangeKind(models.TextChoices):
    NOTICE = "avis", "Avis envoyé"
    NOTICE_AGAIN = "avis_corrige", "Avis renvoyé après correction"
    REMINDER = "rappel", "Rappel avant échéance"
    OVERDUE = "sans_reponse", "Sans réponse dans le délai"
    ANSWER = "reponse", "Réponse"
    OPINION = "opinion", "Avis libre"
    OPINION_REPLY = "reponse_opinion", "Réponse à un avis libre"
    CLASH = "conflit", "Action concurrente signalée"


class Exchange(models.Model):
    """One interaction between two bodies about an action (append-only ledger read by the network app)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="exchanges")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, null=True, blank=True, related_name="exchanges")
    kind = models.CharField(max_length=20, choices=ExchangeKind.choices)
    from_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    to_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "échange entre structures"
        indexes = [models.Index(fields=["from_body", "to_body"], name="exchange_pair")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_body} → {self.to_body}"


class Opinion(models.Model):
    """An opinion any agent of a body of the territory gives on a published action, legitimate or not; the
    declaring body answers it."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="opinions")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField(max_length=5000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "avis libre"

    def __str__(self) -> str:
        return f"Avis de {self.body} sur {self.action}"
