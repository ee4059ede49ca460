"""Who may declare, publish, see and answer (one place per rule; views and API only ask)."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body
from sanscouture.bodies.selectors import body_territory
from sanscouture.competences.routing import place_or_none, route, route_pivot
from sanscouture.territories.models import Commune

from .errors import NotAllowed, OutsideReach
from .models import Action, Notice

PUBLISHING_ROLES = (Role.ADMIN, Role.REFERENT)


def _membership(user: AbstractBaseUser | AnonymousUser, body: Body) -> Membership | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return Membership.objects.filter(user=user, body=body, body__active=True).first()


def bodies_acting_for(user: AbstractBaseUser | AnonymousUser) -> list[Body]:
    """The bodies on whose behalf the user declares actions: every body they belong to."""
    if not user.is_authenticated:
        return []
    return list(Body.objects.filter(memberships__user=user, active=True).order_by("name").distinct())


def declare_check(*, user: AbstractBaseUser | AnonymousUser, body: Body) -> None:
    """Any agent of the body drafts an action for it (its API tokens act as the body)."""
    if _membership(user, body) is None:
        raise NotAllowed(f"Vous n'êtes pas agent de {body.name} : vous ne pouvez pas déclarer d'action pour elle.")


def can_publish(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    """Administrators and référents publish; an agent's publication waits for their validation."""
    m = _membership(user, body)
    return m is not None and m.role in PUBLISHING_ROLES


def publishes_directly(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    """Publication without waiting: administrators and référents always; agents when their body does not require
    validation (`Body.actions_need_validation`, docs/adr/017). Corrections and withdrawals still need `can_publish`."""
    return can_publish(user, body) or (not body.actions_need_validation and is_member(user, body))


def is_member(user: AbstractBaseUser | AnonymousUser, body: Body) -> bool:
    return _membership(user, body) is not None


def reach_check(*, body: Body, communes: list[Commune], competences: list[str], pivots: list[str], on: date) -> None:
    """Where (issue 11): every commune is on the body's own territory, or routing names the body competent there for
    one of the touched competences or offices. Otherwise `hors_territoire`, with the communes."""
    territory = body_territory(body)
    outside = []
    for commune in communes:
        if commune.pk in territory:
            continue
        pl = place_or_none(commune.insee_code)
        competent = pl is not None and (
            any(body.pk in {b.id for b in route(c, commune=pl, on=on).bodies} for c in competences)
            or any(body.pk in {b.id for b in route_pivot(p, commune=pl, on=on).bodies} for p in pivots)
        )
        if not competent:
            outside.append(commune.insee_code)
    if outside:
        shown = ", ".join(outside[:10]) + (" …" if len(outside) > 10 else "")
        raise OutsideReach(
            f"{body.name} n'est ni compétente ni sur son territoire dans ces communes : {shown}.",
            details={"communes": outside},
        )


def action_manage_check(*, user: AbstractBaseUser | AnonymousUser, action: Action) -> None:
    """Publishing, correcting, withdrawing: the declaring body's agents (publication itself: see can_publish)."""
    if not is_member(user, action.body):
        raise NotAllowed("Seuls les agents de la structure qui a déclaré l'action peuvent la modifier.")


def answer_check(*, user: AbstractBaseUser | AnonymousUser, notice: Notice) -> None:
    if not is_member(user, notice.body):
        raise NotAllowed("Seuls les agents de la structure destinataire répondent à cet avis.")
