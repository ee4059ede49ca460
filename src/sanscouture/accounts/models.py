"""Agents: Django users who belong to one or more bodies with a role."""

from django.conf import settings
from django.db import models

from sanscouture.bodies.models import Body


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    REFERENT = "referent", "Référent"
    ADMIN = "admin", "Administrateur de la structure"


class Membership(models.Model):
    """An agent's place in a body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "body"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.body} ({self.get_role_display()})"
