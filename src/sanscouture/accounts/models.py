"""Agents: Django users who belong to one or more bodies with a role; their invitations, sessions, API tokens."""

from django.conf import settings
from django.db import models

from sanscouture.bodies.models import Body, BodyUnit


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    REFERENT = "referent", "Référent"
    ADMIN = "admin", "Administrateur de la structure"


class Membership(models.Model):
    """An agent's place in a body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    units = models.ManyToManyField(BodyUnit, blank=True, related_name="memberships", help_text="Services de l'agent")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "body"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.body} ({self.get_role_display()})"


class Invitation(models.Model):
    """A body administrator's invitation of a person, by e-mail, to become an agent of the body.

    Only the SHA-256 of the token is stored: the link in the e-mail is the only copy. Single use, expires.
    """

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} — {self.body} ({self.get_role_display()})"


class AccountAction(models.TextChoices):
    INVITED = "invited", "Invitation envoyée"
    JOINED = "joined", "Invitation acceptée"
    ROLE_CHANGED = "role_changed", "Rôle modifié"
    DEACTIVATED = "deactivated", "Agent retiré de la structure"
    TOKEN_CREATED = "token_created", "Jeton d'API créé"
    TOKEN_REVOKED = "token_revoked", "Jeton d'API révoqué"
    VALIDATION_SET = "validation_set", "Validation des actions modifiée"


class AccountEvent(models.Model):
    """Audit of account administration: who did what to whom, in which body, when. Append-only by convention."""

    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=16, choices=AccountAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class LoginSession(models.Model):
    """One live login session of a user (its key): lets deactivation and logout end sessions server-side."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Session {self.pk} de {self.user_id}"


class LoginFailure(models.Model):
    """A failed login (password or code), for rate limiting across processes. `key` is a keyed hash of the
    username or of the IP address: no identifier in clear."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="login_failure_key_at")]

    def __str__(self) -> str:
        return f"Échec {self.at:%Y-%m-%d %H:%M}"


class AnonymousWrite(models.Model):
    """One write (unsafe request) by a caller with neither an agent session nor an API token, for the throttle of
    anonymous writes across processes. `key` is a keyed hash of the address: no address in clear."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="anonymous_write_key_at"),
            models.Index(fields=["at"], name="anonymous_write_at"),
        ]

    def __str__(self) -> str:
        return f"Écriture anonyme {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for a body's own systems. It acts as a service account of the body (`service_user`, a
    member with the token's role and no usable password). Only the SHA-256 of the token is stored."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=10, choices=[c for c in Role.choices if c[0] != Role.ADMIN], default=Role.AGENT)
    prefix = models.CharField(max_length=12, help_text="Début du jeton, pour le reconnaître")
    token_hash = models.CharField(max_length=64, unique=True)
    service_user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["body", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
