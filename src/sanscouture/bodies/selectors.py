"""Reads on bodies. `body_territory` is the one answer to « on which communes does this body act? »."""

from django.db.models import Q

from sanscouture.territories.models import Commune, CommuneKind

from .models import Body, BodyKind
from .services import regime_communes, regime_territory, special_statuses


def _social_security_departements(departement: str) -> set[str]:
    """A caisse's département and those its caisses serve too (Saint-Barthélemy and Saint-Martin: Guadeloupe's)."""
    served_by = special_statuses()["social_security"]["served_by"]
    return {departement} | {dep for dep, by in served_by.items() if by == departement}


def body_territory(body: Body) -> frozenset[int]:
    """The current communes (primary keys) on which `body` acts: a mairie its commune; an EPCI or EPT its member
    communes; a département, a région or a collectivité à statut particulier the communes of its territory; a
    préfecture, CAF, CPAM or MDPH those of its département(s); an Annuaire office the communes it serves; a syndicat its
    member communes (BANATIC); a mairie
    d'arrondissement its city (it acts inside it); a body a special regime designates (IDFM, Sytral, préfecture de
    police, BSPP, BMPM, SDIS) the territory the law gives it.

    The declaration rule (competences.permissions) and every "own territory" check use this function and nothing
    else: a new kind of body (syndicats…) is added here, once."""
    current = Commune.objects.filter(kind=CommuneKind.CURRENT)
    kind = body.kind
    regime_kinds = (BodyKind.MOBILITE, BodyKind.SECOURS, BodyKind.PREFECTURE)
    regime = regime_territory(key=body.key) if kind in regime_kinds else {}
    if regime:
        codes = regime_communes(territory=regime)
        return frozenset(current.filter(insee_code__in=codes).values_list("pk", flat=True))
    if kind in (BodyKind.MAIRIE, BodyKind.MAIRIE_ARRDT):
        where = Q(pk=body.commune_id)
    elif kind == BodyKind.EPCI:
        where = Q(epci_id=body.epci_id)
    elif kind == BodyKind.EPT:
        where = Q(ept_id=body.ept_id)
    elif kind == BodyKind.DEPARTEMENT:
        where = Q(departement_id=body.departement_id)
    elif kind in (BodyKind.REGION, BodyKind.COLLECTIVITE):
        # Corse (2A, 2B), CTM, CTG and the COM: the collectivité's territory is its région's.
        where = Q(region_id=body.region_id)
    elif kind in (BodyKind.CAF, BodyKind.CPAM, BodyKind.SECU_SOCIALE):
        where = Q(departement_id__in=_social_security_departements(body.departement_id or ""))
    elif kind == BodyKind.MDPH:
        where = Q(departement_id=body.departement_id)
    elif kind == BodyKind.PREFECTURE:
        # One préfecture stands for two COM (prefecture:977-978): its key names its départements.
        where = Q(departement_id__in=body.key.partition(":")[2].split("-"))
    elif kind in (BodyKind.OFFICE, BodyKind.SYNDICAT):
        # A syndicat's communes are those BANATIC lists, directly or through its member groupements.
        return frozenset(body.served_communes.filter(kind=CommuneKind.CURRENT).values_list("pk", flat=True))
    else:
        return frozenset()
    if any(value is None for _, value in where.children):  # type: ignore[misc]
        return frozenset()
    return frozenset(current.filter(where).values_list("pk", flat=True))
