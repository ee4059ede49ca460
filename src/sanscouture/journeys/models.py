"""Local steps: what a body adds to a life event for its own territory."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanscouture.bodies.models import Body


class LocalStep(models.Model):
    """A step that `body` adds to a life event, shown in journeys for the communes it serves, from `start`
    to `end` (inclusive). `life_event` is the publication id (F…): it survives catalogue re-imports."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="local_steps")
    life_event = models.CharField(max_length=20, db_index=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["life_event", "start", "pk"]
        verbose_name = "étape locale"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="localstep_end_after_start"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="localstep_title_required"),
        ]

    def __str__(self) -> str:
        return f"{self.body} — {self.title}"

    def in_force(self, *, on: date) -> bool:
        """Shown on `on`: not withdrawn, its body active, `on` between start and end (inclusive)."""
        return (
            self.withdrawn_at is None and self.body.active and self.start <= on and (self.end is None or self.end >= on)
        )
