"""Reads of the gatherings: who is invited (the territory's bodies, through routing), what an agent or a body sees."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body, BodyKind
from sanscouture.bodies.naming import of_territory
from sanscouture.competences.routing import place_or_none, route_all
from sanscouture.territories.models import Commune, CommuneKind, Departement, Epci

from .errors import UnknownTerritory
from .models import Gathering, GatheringBody, Invitation, Reply

ORGANISER_ROLES = (Role.ADMIN, Role.REFERENT)
# Offices of the Annuaire are places where people go, not bodies whose staff one invites.
NOT_INVITED = {BodyKind.OFFICE}


@dataclass(frozen=True)
class GatheringTerritory:
    key: str  # epci:<siren> or departement:<code>
    name: str
    communes: tuple[str, ...]  # INSEE codes of its current communes


def territory_of_body(body: Body) -> str | None:
    """The default territory of a gathering: the organiser's intercommunalité (its own or its commune's), else its
    département."""
    epci = body.epci_id or (body.commune.epci_id if body.commune_id and body.commune else None)
    if epci:
        return f"epci:{epci}"
    dep = body.departement_id or (body.commune.departement_id if body.commune_id and body.commune else None)
    return f"departement:{dep}" if dep else None


def territory_get(key: str) -> GatheringTerritory:
    kind, _, code = (key or "").partition(":")
    current = Commune.objects.filter(kind=CommuneKind.CURRENT)
    if kind == "epci" and (epci := Epci.objects.filter(pk=code).first()):
        codes = current.filter(epci_id=code).values_list("insee_code", flat=True)
        return GatheringTerritory(f"epci:{code}", epci.name, tuple(sorted(codes)))
    if kind == "departement" and (dep := Departement.objects.filter(pk=code.upper()).first()):
        codes = current.filter(departement_id=dep.pk).values_list("insee_code", flat=True)
        return GatheringTerritory(f"departement:{dep.pk}", dep.name, tuple(sorted(codes)))
    raise UnknownTerritory(
        "Territoire attendu sous la forme epci:<siren> ou departement:<code>.", details={"territoire": key[:40]}
    )


def territories_of_body(body: Body) -> list[str]:
    """Where a body may organise: its intercommunalité and its département (its own territory)."""
    out = []
    epci = body.epci_id or (body.commune.epci_id if body.commune else None)
    if epci:
        out.append(f"epci:{epci}")
    dep = body.departement_id or (body.commune.departement_id if body.commune else None)
    if dep:
        out.append(f"departement:{dep}")
    return out


def invited_bodies(territory: GatheringTerritory) -> list[tuple[Body, str]]:
    """The bodies of a territory, each with why: the mairies of its communes, the intercommunalité, and every body
    routing names competent there (Département, Région, CAF, CPAM, préfecture, syndicats…)."""
    reasons: dict[int, str] = {}
    for mairie_id in Body.objects.filter(
        kind=BodyKind.MAIRIE, active=True, commune__insee_code__in=territory.communes
    ).values_list("pk", flat=True):
        reasons[mairie_id] = "mairie d'une commune du territoire"
    if territory.key.startswith("epci:"):
        for epci_id in Body.objects.filter(kind=BodyKind.EPCI, epci_id=territory.key[5:]).values_list("pk", flat=True):
            reasons[epci_id] = "l'intercommunalité"
    elif territory.key.startswith("departement:"):
        for epci_id in Body.objects.filter(
            kind=BodyKind.EPCI,
            epci_id__in=Commune.objects.filter(insee_code__in=territory.communes).values("epci_id"),
        ).values_list("pk", flat=True):
            reasons.setdefault(epci_id, "intercommunalité du territoire")
    competent: set[int] = set()
    for code in territory.communes:
        place = place_or_none(code)
        if place is None:
            continue
        competent |= {b.id for b in place.level_bodies if b is not None and b.kind not in NOT_INVITED}
        if territory.key.startswith("epci:"):  # a département's routing is the same everywhere: one pass is enough
            for answer in route_all(commune=place):
                competent |= {b.id for b in answer.bodies if b.kind not in NOT_INVITED}
    for body_id in competent:
        reasons.setdefault(body_id, "compétente sur le territoire (routage)")
    bodies = Body.objects.filter(pk__in=reasons, active=True).exclude(kind__in=NOT_INVITED).order_by("kind", "name")
    return [(b, reasons[b.pk]) for b in bodies]


def my_body_ids(user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user, body__active=True).values_list("body_id", flat=True))


def gatherings_for(user: Any) -> QuerySet[Gathering]:
    """The gatherings the user's bodies organise or are invited to."""
    return (
        Gathering.objects.for_bodies(my_body_ids(user))
        .select_related("organiser")
        .annotate(
            confirmed=Count(
                "invitations",
                filter=Q(invitations__reply=Reply.YES, invitations__waitlisted_at=None),
                distinct=True,  # the join on invited bodies repeats each invitation
            ),
            waiting=Count(
                "invitations",
                filter=Q(invitations__reply=Reply.YES, invitations__waitlisted_at__isnull=False),
                distinct=True,
            ),
        )
    )


def gathering_get_for_user(user: Any, gathering_id: int) -> Gathering | None:
    return gatherings_for(user).filter(pk=gathering_id).first()


def can_manage(user: Any, gathering: Gathering) -> bool:
    """Organise, update, cancel, record attendance: an administrator or référent of the organising body."""
    return bool(
        user.is_authenticated
        and Membership.objects.filter(user=user, body=gathering.organiser, role__in=ORGANISER_ROLES).exists()
    )


def organiser_bodies(user: Any) -> list[Body]:
    """The bodies the user may organise for."""
    if not user.is_authenticated:
        return []
    return [
        m.body
        for m in Membership.objects.filter(user=user, role__in=ORGANISER_ROLES, body__active=True)
        .select_related("body__commune")
        .order_by("body__name")
    ]


def counts(gathering: Gathering) -> dict[str, int]:
    """Replies by state, and seats left."""
    out = {"oui": 0, "non": 0, "peut_etre": 0, "liste_attente": 0, "sans_reponse": 0}
    for inv in gathering.invitations.only("reply", "waitlisted_at"):
        out[inv.state] += 1
    out["invites"] = sum(out.values())
    out["places_restantes"] = max(0, gathering.capacity - out["oui"]) if gathering.capacity else None
    return out


# EPCI names open on a feminine noun (« CC du Pays… », « Métropole… ») or are a city's own (« Nantes Métropole »).
_FEMININE_EPCI = ("CC ", "CA ", "CU ", "Communauté ", "Métropole ", "Eurométropole ")


def of_gathering_territory(gathering: Gathering) -> str:
    """The gathering's territory with its linking word: « de la CC Estuaire et Sillon », « de l'Hérault »."""
    kind, _, code = gathering.territory.partition(":")
    name = gathering.territory_name or code
    departement = Departement.objects.filter(pk=code).first() if kind == "departement" else None
    if departement is not None:
        return of_territory(departement.name, departement.type_liaison)
    return ("de la " if name.startswith(_FEMININE_EPCI) else "de ") + name


def invited_rows(gathering: Gathering) -> list[GatheringBody]:
    return list(gathering.invited.select_related("body").order_by("body__kind", "body__name"))


def my_invitations(user: Any, gathering: Gathering) -> list[Invitation]:
    if not user.is_authenticated:
        return []
    return list(gathering.invitations.filter(user=user).select_related("body"))
