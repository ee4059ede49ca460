"""The interaction ledger (acteur-réseau): what bodies and their services really do together, recorded from what
already happens in the product (cases, hand-overs, messages; later notices and gatherings), and the quality
ratings of ties (PARTNER's six items). No double entry: every row points to the record it was read from."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.cases.models import Case, Handover


class InteractionKind(models.TextChoices):
    CASE_SHARED = "case_shared", "Dossier travaillé ensemble"
    HANDOVER_SENT = "handover_sent", "Orientation envoyée"
    HANDOVER_ACCEPTED = "handover_accepted", "Orientation acceptée"
    HANDOVER_REFUSED = "handover_refused", "Orientation refusée"
    MESSAGE = "message", "Message dans un dossier partagé"
    NOTICE = "notice", "Avis d'impact"
    NOTICE_ANSWER = "notice_answer", "Réponse à un avis"
    GATHERING = "gathering", "Rencontre, vis mon job"
    OPINION = "opinion", "Demande d'avis sur un dossier"
    OPINION_GIVEN = "opinion_given", "Avis donné sur un dossier"


class InteractionQuerySet(models.QuerySet):
    def between(self, start, end) -> "InteractionQuerySet":  # noqa: ANN001
        """Interactions on days start..end included (dates)."""
        return self.filter(day__gte=start, day__lte=end)


class Interaction(models.Model):
    """One cooperation event from `from_body` (and its service when known) to `to_body`. Symmetric events (a case
    worked together) are stored once, from the lower body id. `delay_seconds` where one applies (a hand-over's
    decision after it was sent, an answer after a notice). `source` names the record it was read from."""

    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    from_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    to_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    from_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_unit = models.ForeignKey(BodyUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    day = models.DateField(help_text="Jour de l'interaction (UTC), pour les périodes")
    delay_seconds = models.PositiveIntegerField(null=True, blank=True)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=60, help_text="Enregistrement lu : handover:12, case:3, message:7…")
    # Counted in the monthly aggregate (`InteractionMonth`) yet? Rows written by any app start False (also at the
    # database level), and `interactions_fold` sets it in the transaction that counts them: each row counted once.
    folded = models.BooleanField(default=False, db_default=False, editable=False)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "interaction"
        indexes = [
            models.Index(fields=["day", "from_body", "to_body"], name="interaction_day_pair"),
            models.Index(fields=["day"], condition=Q(folded=False), name="interaction_not_folded"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source", "from_body", "to_body"], name="interaction_recorded_once"
            ),
            # Between two services of one body, or between two bodies: never a body with itself without services.
            models.CheckConstraint(
                condition=~Q(from_body=models.F("to_body")) | Q(to_unit__isnull=False),
                name="interaction_between_two_parties",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_body_id} → {self.to_body_id}"


class InteractionMonth(models.Model):
    """The ledger pre-aggregated per month (docs/adr/018): how many interactions of one kind went from one body (and
    service) to another in a month, and their delays. The figures of a period read these rows for its whole months
    and the ledger's own rows for its partial months, instead of a million rows. Kept by `interactions_fold`, from
    every ledger row whoever wrote it; never edited by hand. Services are plain ids (0: none known) so that deleting
    a service keeps the body's counts."""

    month = models.DateField(help_text="Premier jour du mois")
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    from_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+", db_index=False)
    to_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    from_unit = models.PositiveIntegerField(default=0)
    to_unit = models.PositiveIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    # Every delay in seconds (sorted), for exact medians over any set of months; only for the kinds with a delay.
    delays = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["month"]
        verbose_name = "interactions du mois"
        # Covering the figures' sum per pair and kind over a run of months: read in index order, nothing sorted.
        indexes = [
            models.Index(fields=["from_body", "to_body", "kind", "month", "count"], name="interaction_month_sum")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "from_body", "to_body", "kind", "from_unit", "to_unit"], name="interaction_month_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y} {self.kind} {self.from_body_id} → {self.to_body_id} : {self.count}"


class LedgerCursor(models.Model):
    """How far the ledger has read the product's records: the next synchronisation starts a margin before."""

    name = models.CharField(max_length=30, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M}"


SCALE = (1, 2, 3, 4)
TRUST_ITEMS = ("alignement", "ouverture", "fiabilite")  # PARTNER trust: mission alignment, openness, reliability
VALUE_ITEMS = ("ressources", "influence", "engagement")  # PARTNER value: resources, power/influence, commitment


class TieRating(models.Model):
    """A body's one-click rating of its tie with another body after a decided hand-over, with PARTNER's six items
    (1 to 4). Optional; at most once per (rater body, rated body, month)."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="+")
    rater_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    rated_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    month = models.DateField(help_text="Premier jour du mois de l'évaluation")
    alignement = models.PositiveSmallIntegerField()
    ouverture = models.PositiveSmallIntegerField()
    fiabilite = models.PositiveSmallIntegerField()
    ressources = models.PositiveSmallIntegerField()
    influence = models.PositiveSmallIntegerField()
    engagement = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "évaluation d'un lien"
        constraints = [
            models.UniqueConstraint(fields=["rater_body", "rated_body", "month"], name="tie_rating_once_a_month"),
            models.CheckConstraint(condition=~Q(rater_body=models.F("rated_body")), name="tie_rating_two_bodies"),
            *[
                models.CheckConstraint(condition=Q(**{f"{item}__gte": 1, f"{item}__lte": 4}), name=f"tie_{item}_1_4")
                for item in TRUST_ITEMS + VALUE_ITEMS
            ],
        ]

    def __str__(self) -> str:
        return f"Évaluation {self.rater_body_id} → {self.rated_body_id} ({self.month:%m/%Y})"

    @property
    def trust(self) -> float:
        return (self.alignement + self.ouverture + self.fiabilite) / 3

    @property
    def value(self) -> float:
        return (self.ressources + self.influence + self.engagement) / 3
