"""Who sees which figures of the network (issue 12, item 5). Figures about bodies are aggregated; the network between
a body's services is seen by that body's agents and administrators only."""

from django.contrib.auth.models import AbstractBaseUser
from django.shortcuts import get_object_or_404

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body


def can_see_networks(user: AbstractBaseUser) -> bool:
    """The network of a territory: any agent of a body (the figures are about bodies, never people)."""
    return bool(user.is_authenticated and Membership.objects.filter(user=user).exists())


def body_for_internal_network(user: AbstractBaseUser, body_id: int) -> Body:
    """The body whose internal network `user` may see: one of their own bodies; anything else is a 404."""
    return get_object_or_404(Body.objects.filter(memberships__user=user).distinct(), pk=body_id)
