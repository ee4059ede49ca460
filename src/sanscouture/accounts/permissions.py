"""Who may do what. Decisions live here, views and API only ask."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.bodies.models import Body

from .models import Membership, Role

DECLARING_ROLES = (Role.ADMIN, Role.REFERENT)


def bodies_declarable_by(user: AbstractBaseUser | AnonymousUser) -> list[Body]:
    """Bodies on whose behalf the user may record competence exercise declarations."""
    if not user.is_authenticated:
        return []
    return [
        m.body
        for m in Membership.objects.filter(user=user, role__in=DECLARING_ROLES, body__active=True)
        .select_related("body")
        .order_by("body__name")
    ]


def can_declare_for(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, body=body, role__in=DECLARING_ROLES).exists()
