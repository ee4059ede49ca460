"""Exercise declarations: a body exercising a competence on communes over a period."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body
from sanscouture.territories.models import Commune


class Basis(models.TextChoices):
    STATUTS = "statuts", "Statuts"
    CONVENTION = "convention", "Convention"
    DELIBERATION = "deliberation", "Délibération"
    ARRETE = "arrete", "Arrêté préfectoral"
    LOI = "loi", "Loi"
    BANATIC = "banatic", "BANATIC"


# What an agent may declare by hand; BANATIC rows come from the BANATIC import only.
DECLARABLE_BASES = [(value, label) for value, label in Basis.choices if value != Basis.BANATIC]


class ExerciseQuerySet(models.QuerySet):
    def overlapping(self, *, competence: str, communes: list[Commune], start, end) -> "ExerciseQuerySet":
        """Declarations of the same competence on one of `communes` whose period meets [start, end]."""
        qs = self.filter(competence=competence, communes__in=communes, withdrawn_at__isnull=True)
        # An agent's declaration takes precedence over an imported one (ADR 011): they never conflict.
        qs = qs.exclude(basis=Basis.BANATIC)
        qs = qs.filter(Q(end__isnull=True) | Q(end__gte=start))
        if end is not None:
            qs = qs.filter(start__lte=end)
        return qs.distinct()


class Exercise(models.Model):
    """`body` exercises `competence` on `communes` from `start` (to `end`, inclusive), on `basis`.

    It overrides the default under the law for those communes and dates.
    """

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="exercises")
    competence = models.CharField(max_length=80, db_index=True)
    communes = models.ManyToManyField(Commune, related_name="exercises")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    reference = models.CharField(max_length=300, blank=True, help_text="Acte : date, numéro, lien")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["-start"]
        verbose_name = "exercice de compétence"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="exercise_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body} — {self.competence} depuis {self.start}"


class RoutingVersion(models.Model):
    """One row whose version changes with the referential: each process rebuilds its routing index then."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"version {self.version}"
