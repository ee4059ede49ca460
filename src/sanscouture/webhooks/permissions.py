"""Who manages a body's webhooks: its administrators, and its API tokens of role référent (a token cannot be
administrator; the référent role is the one a body gives its own systems for writes of this kind)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body


def _is_token(user: AbstractBaseUser) -> bool:
    return hasattr(user, "api_token")


def can_manage(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    if not user.is_authenticated or not user.is_active or not body.active:
        return False
    roles = (Role.REFERENT,) if _is_token(user) else (Role.ADMIN,)
    return Membership.objects.filter(user=user, body=body, role__in=roles).exists()


def bodies_managed_by(user: AbstractBaseUser | AnonymousUser) -> list[Body]:
    if not user.is_authenticated:
        return []
    roles = (Role.REFERENT,) if _is_token(user) else (Role.ADMIN,)
    rows = Membership.objects.filter(user=user, role__in=roles, body__active=True).select_related("body")
    return [m.body for m in rows.order_by("body__name")]


def managers_of(body: Body) -> list[AbstractBaseUser]:
    """The body's administrators (people, not tokens): they are alerted when a subscription is suspended."""
    return list(
        get_user_model()
        .objects.filter(memberships__body=body, memberships__role=Role.ADMIN, is_active=True, api_token__isnull=True)
        .distinct()
    )
