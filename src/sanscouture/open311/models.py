"""Open311 GeoReport v2 service requests: a request is a task of a shared case (docs/adr/023).

The task carries the status (agents work it like any other task); this row keeps what Open311 needs besides:
the service code, the jurisdiction it was filed under, the location as sent, the submitting body and the token.
"""

import uuid

from django.db import models

from sanscouture.bodies.models import Body
from sanscouture.cases.models import Task
from sanscouture.territories.models import Commune


class ServiceRequest(models.Model):
    """One Open311 service request, filed by a body's system (its API token) and routed to the competent body.

    No personal field lives here: name, e-mail and phone go to the case's data only with the person's consent."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="open311_request")
    service_code = models.CharField(max_length=80)
    # Denormalised from the task and its case: the GET filters read this table alone (benchmarks/bench_open311.py).
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="open311_requests")
    submitted_by = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(max_length=4000, blank=True)
    address_string = models.CharField(max_length=500, blank=True)
    zipcode = models.CharField(max_length=5, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    media_url = models.CharField(max_length=500, blank=True, help_text="Adresse http(s) d'une photo ou d'un média")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "demande Open311"
        verbose_name_plural = "demandes Open311"
        indexes = [
            models.Index(fields=["commune", "-requested_at"], name="o311_commune_requested"),
            models.Index(fields=["body", "-requested_at"], name="o311_body_requested"),
            models.Index(fields=["-requested_at"], name="o311_requested"),
        ]

    def __str__(self) -> str:
        return f"Demande Open311 {self.pk} ({self.service_code})"
