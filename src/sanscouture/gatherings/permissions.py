"""Who sees and acts on a gathering. Seen by the agents of the bodies it invites (the organiser included); others get
a 404. Changed, cancelled and its attendance recorded by the organiser's administrators and référents (others who
see it: 403). A reply is an invited agent's own. The effect panel: each administrator for the events of their body;
every agent for their territory, aggregated."""

from typing import Any

from django.http import Http404

from sanscouture.accounts.models import Membership, Role

from .models import Gathering, Invitation
from .selectors import gathering_get_for_user


def gathering_or_404(user: Any, gathering_id: int) -> Gathering:
    g = gathering_get_for_user(user, gathering_id)
    if g is None:
        raise Http404("Rencontre introuvable.")
    return g


def own_invitation_or_404(user: Any, gathering: Gathering) -> Invitation:
    inv = gathering.invitations.filter(user=user).select_related("gathering", "body").first()
    if inv is None:
        raise Http404("Vous n'êtes pas invité à titre personnel à cette rencontre.")
    return inv


def admin_body_ids(user: Any) -> set[int]:
    """The bodies whose effect panel the user sees: those they administer."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role=Role.ADMIN, body__active=True).values_list("body_id", flat=True)
    )
