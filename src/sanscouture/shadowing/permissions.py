"""Who sees and does what in « vis mon job ». An agent sees their own pairs; an administrator those of their body;
an API token acts as its body (it sees the body's pairs and its suggestions, it cannot accept for an agent nor
approve for an administrator). Anything else is a 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.shortcuts import get_object_or_404

from sanscouture.accounts.models import ApiToken, Membership, Role

from .models import Pair


def is_token_user(user: AbstractBaseUser) -> bool:
    return ApiToken.objects.filter(service_user_id=user.pk).exists()


def admin_body_ids(user: AbstractBaseUser) -> set[int]:
    """The bodies whose pairs `user` sees as a whole: those they administer, or the body of their API token."""
    if not user.is_authenticated:
        return set()
    ids = set(Membership.objects.filter(user=user, role=Role.ADMIN).values_list("body_id", flat=True))
    if is_token_user(user):
        ids |= set(Membership.objects.filter(user=user).values_list("body_id", flat=True))
    return ids


def administered_body_ids(user: AbstractBaseUser) -> set[int]:
    """The bodies `user` approves pairs for: administrators only (a token never approves)."""
    return set(Membership.objects.filter(user=user, role=Role.ADMIN).values_list("body_id", flat=True))


def pairs_visible_to(user: AbstractBaseUser):  # noqa: ANN201
    return Pair.objects.visible_to(user=user, admin_body_ids=admin_body_ids(user))


def pair_for(user: AbstractBaseUser, pair_id: int) -> Pair:
    """The pair if `user` may see it, else a 404 (another body's pair does not exist for you)."""
    qs = pairs_visible_to(user).select_related("a_user", "b_user", "a_body", "b_body", "a_unit", "b_unit")
    return get_object_or_404(qs, pk=pair_id)


def bodies_of(user: AbstractBaseUser) -> list:  # noqa: ANN201
    return [m.body for m in Membership.objects.filter(user=user, body__active=True).select_related("body")]
