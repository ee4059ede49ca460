"""Who may do what. Decisions live here, views and API only ask."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.bodies.models import STATE_KINDS, Body

from .models import Membership, Role

DECLARING_ROLES = (Role.ADMIN, Role.REFERENT)


def bodies_declarable_by(user: AbstractBaseUser | AnonymousUser) -> list[Body]:
    """Bodies on whose behalf the user may record competence exercise declarations (State bodies: platform
    administrators only, see can_declare_for)."""
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user, role__in=DECLARING_ROLES, body__active=True)
    if not getattr(user, "is_superuser", False):
        memberships = memberships.exclude(body__kind__in=STATE_KINDS)
    return [m.body for m in memberships.select_related("body").order_by("body__name")]


def can_declare_for(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    """Who may declare for a body: its administrators and référents (its API tokens of that role act as them);
    for a State body only a platform administrator (superuser), never its own members (docs/adr/013)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    if body.kind in STATE_KINDS:
        return False
    return Membership.objects.filter(user=user, body=body, role__in=DECLARING_ROLES).exists()
