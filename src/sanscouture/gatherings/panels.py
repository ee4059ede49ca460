"""What the effect panel shows (API and page alike): the events of the caller's bodies, and the territory's
aggregate. Completed job-shadowing pairs come from `shadowing.selectors.pairs_completed` when that app provides it."""

from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from sanscouture.bodies.models import Body
from sanscouture.competences.schemas import BodyOut
from sanscouture.errors import DomainError, PermissionDeniedError
from sanscouture.network.selectors import Territory, territory_bodies, territory_of_user, territory_parse
from sanscouture.shadowing.selectors import pairs_completed

from .effect import Treatment, aggregate, effects, treatments_of_gatherings, treatments_of_pairs
from .models import Gathering, GatheringStatus, Invitation
from .permissions import admin_body_ids
from .selectors import my_body_ids

LOOK_BACK = timedelta(days=3 * 366)


class EffectReserved(PermissionDeniedError):
    code = "effet_reserve_aux_agents"


def completed_pairs(*, since: date, until: date) -> list[Treatment]:
    """The completed job-shadowing pairs between two bodies, as treatments."""
    return treatments_of_pairs(pairs_completed(since=since, until=until))


def _held() -> Any:
    return Gathering.objects.filter(status=GatheringStatus.SCHEDULED, attendance_recorded_at__isnull=False)


def effect_for_bodies(user: Any, *, today: date) -> dict[str, Any]:
    """The events where one of the bodies the user administers took part (organised, came, was paired)."""
    mine = admin_body_ids(user)
    pairs = completed_pairs(since=today - LOOK_BACK, until=today)
    came = Invitation.objects.filter(attended=True, body_id__in=mine).values("gathering_id")
    gatherings = _held().filter(Q(organiser_id__in=mine) | Q(pk__in=came)).select_related("organiser")
    treatments = treatments_of_gatherings(gatherings) + [p for p in pairs if set(p.bodies) & mine]
    bodies = Body.objects.filter(pk__in=mine).order_by("name")
    return {
        "structures": [BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind) for b in bodies],
        "evenements": effects(treatments, pairs=pairs, today=today),
    }


def _default_territory(user: Any) -> Territory:
    """The caller's département; for an intercommunalité (no département of its own), the intercommunalité."""
    try:
        return territory_of_user(user)
    except DomainError:
        epci = Body.objects.filter(memberships__user=user, epci__isnull=False).values_list("epci_id", flat=True)
        if epci.first():
            return territory_parse(f"epci:{epci.first()}")
        raise


def effect_of_territory(user: Any, territory: str | None, *, today: date) -> dict[str, Any]:
    """Every event whose bodies are in the territory (an intercommunalité or a département; by default the caller's
    département), aggregated; any agent of a body sees it (figures about bodies, never agents)."""
    if not my_body_ids(user):
        raise EffectReserved("L'effet des rencontres se consulte avec un compte d'agent d'une structure.")
    place = territory_parse(territory) if territory else _default_territory(user)
    inside = set(territory_bodies(place).values_list("pk", flat=True))
    pairs = completed_pairs(since=today - LOOK_BACK, until=today)
    # An intercommunalité's own body has no département of its own: an event is the territory's when one of the
    # bodies concerned is.
    came = Invitation.objects.filter(attended=True, body_id__in=inside).values("gathering_id")
    gatherings = _held().filter(Q(organiser_id__in=inside) | Q(pk__in=came)).select_related("organiser")
    treatments = treatments_of_gatherings(gatherings) + [p for p in pairs if set(p.bodies) & inside]
    panels = effects(treatments, pairs=pairs, today=today)
    return {"territoire": place.key, "territoire_nom": place.name, "agrege": aggregate(panels)}


def reply_message(inv: Invitation) -> str:
    """What the person is told after replying (the waiting list said plainly)."""
    g = inv.gathering
    if inv.state == "liste_attente":
        ahead = g.invitations.filter(reply="oui", waitlisted_at__isnull=False, waitlisted_at__lt=inv.waitlisted_at)
        return (
            f"La rencontre est complète ({g.capacity} places) : vous êtes sur la liste d'attente, en position "
            f"{ahead.count() + 1}. Vous serez prévenu par courriel si une place se libère."
        )
    return {
        "oui": "C'est noté : votre place est confirmée.",
        "non": "C'est noté : vous ne venez pas.",
        "peut_etre": "C'est noté : peut-être. Vous pourrez confirmer plus tard par le même lien.",
    }.get(inv.state, "C'est noté.")
