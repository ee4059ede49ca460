"""Who may declare what, where (docs/adr/013): the one rule for exercise declarations, used by the service behind
the API, the web form and any importer, and by `sanscouture declarations verifier` for those already recorded.

- who: an administrator or référent of the body (its API token with that role acts as it), a platform
  administrator for State bodies (accounts.permissions.can_declare_for);
- what: a competence its kind of body can hold under the catalogue's rules for the declared period;
- where: communes of its own territory only (bodies.selectors.body_territory).
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.accounts.permissions import can_declare_for
from sanscouture.bodies.models import STATE_KINDS, Body, BodyKind
from sanscouture.bodies.selectors import body_territory
from sanscouture.bodies.services import special_statuses
from sanscouture.territories.models import Commune

from .catalogue import LEVEL_LABELS, Competence
from .errors import CompetenceNotHoldable, NotAuthorised, OutsideTerritory

# The level of the catalogue's rules (competences.yaml: holders, epci, otherwise) each kind of body stands for.
# Reviewed with the catalogue (docs/adr/013). An EPT holds the intercommunal level of the Grand Paris (CGCT
# L5219-5): what the rules give to « epci » and what they name « ept ». An Annuaire office is an office of another
# body: it declares nothing itself. Special statuses add levels (see body_levels).
KIND_LEVELS: dict[str, frozenset[str]] = {
    BodyKind.MAIRIE: frozenset({"commune"}),
    BodyKind.EPCI: frozenset({"epci"}),
    BodyKind.EPT: frozenset({"ept", "epci"}),
    BodyKind.DEPARTEMENT: frozenset({"departement"}),
    BodyKind.REGION: frozenset({"region"}),
    BodyKind.COLLECTIVITE: frozenset(),
    BodyKind.PREFECTURE: frozenset({"etat"}),
    BodyKind.CAF: frozenset({"caf"}),
    BodyKind.CPAM: frozenset({"cpam"}),
    BodyKind.MDPH: frozenset({"mdph"}),
    BodyKind.OFFICE: frozenset(),
    # Bodies a special regime designates hold what the law gives them (routing's regimes), nothing by declaration;
    # a SDIS holds the fire-and-rescue level, the CPS of Saint-Pierre-et-Miquelon every branch of social security.
    BodyKind.MAIRIE_ARRDT: frozenset(),
    BodyKind.MOBILITE: frozenset(),
    BodyKind.SECOURS: frozenset({"sdis"}),
    BodyKind.SECU_SOCIALE: frozenset({"caf", "cpam"}),
    # A syndicat holds what its member communes or EPCI transferred to it: the commune and intercommunal levels.
    BodyKind.SYNDICAT: frozenset({"commune", "epci"}),
}
LATEST = date(2099, 12, 31)


def body_levels(body: Body) -> frozenset[str]:
    """The levels `body` holds: its kind's, plus those a special status gives it (bodies/data/special_statuses.yaml):
    the Ville de Paris is also a département, the Métropole de Lyon holds the département's competences, the
    collectivités uniques those of the département and the région, Saint-Barthélemy and Saint-Martin the commune's
    too, the Département de Mayotte the région's, the CSSM of Mayotte answers for the CPAM."""
    st = special_statuses()
    levels = set(KIND_LEVELS.get(body.kind, frozenset()))
    if any(v.get("body") == body.key for v in st["departements"].values()):
        levels.add("departement")
    if any(v.get("body") == body.key for v in st["regions"].values()):
        levels.add("region")
    if any(c["key"] == body.key and c.get("commune") for c in st["collectivites"]):
        levels.add("commune")
    if body.kind == BodyKind.EPCI and body.epci_id and "cg" in (body.pivots or []):
        levels.add("departement")  # Métropole de Lyon (CGCT L3611-1)
    if body.kind == BodyKind.CAF and "cpam" in (body.pivots or []):
        levels.add("cpam")
    return frozenset(levels)


def holder_levels(competence: Competence, start: date, end: date | None) -> frozenset[str]:
    """The levels that can hold `competence` at some time in [start, end] under the catalogue: the default
    holders, the intercommunal level where a rule names it (obligatoire or facultative), and the level it stays
    with otherwise."""
    levels: set[str] = set()
    for rule in competence.rules:
        if (rule.since or date.min) <= (end or LATEST) and start <= (rule.until or LATEST):
            levels.update(rule.holders)
            if rule.ept:
                levels.add("ept")
            if rule.otherwise:
                levels.add(rule.otherwise)
    return frozenset(levels)


@dataclass(frozen=True)
class Breach:
    """Why a declaration breaks the rule: a stable code and a French sentence."""

    code: str
    message: str
    communes: tuple[str, ...] = ()


def declaration_breaches(
    *, body: Body, competence: Competence, communes: list[Commune], start: date, end: date | None
) -> list[Breach]:
    """What (kind of body) and where (territory): the part of the rule that does not depend on who acts."""
    found = []
    if not body_levels(body) & holder_levels(competence, start, end):
        holders = sorted(holder_levels(competence, start, end))
        found.append(
            Breach(
                CompetenceNotHoldable.code,
                f"{body.name} ({body.get_kind_display()}) ne peut pas exercer « {competence.label} » : selon le "
                f"catalogue, cette compétence revient à : {', '.join(LEVEL_LABELS[lv] for lv in holders)}.",
            )
        )
    territory = body_territory(body)
    outside = tuple(sorted(c.insee_code for c in communes if c.pk not in territory))
    if outside:
        shown = ", ".join(outside[:10]) + (" …" if len(outside) > 10 else "")
        found.append(
            Breach(
                OutsideTerritory.code,
                f"{body.name} ne peut déclarer que sur les communes de son territoire ; hors de celui-ci : {shown}.",
                outside,
            )
        )
    return found


def declaration_check(
    *,
    body: Body,
    competence: Competence,
    communes: list[Commune],
    start: date,
    end: date | None,
    actor: AbstractBaseUser | AnonymousUser,
) -> None:
    """Raise unless `actor` may declare that `body` exercises `competence` on `communes` over [start, end]."""
    if not can_declare_for(actor, body):
        if body.kind in STATE_KINDS:
            raise NotAuthorised(
                f"Seul un administrateur de la plateforme déclare des compétences pour {body.name} (service de l'État)."
            )
        raise NotAuthorised(f"Vous n'êtes pas habilité à déclarer des compétences pour {body.name}.")
    for breach in declaration_breaches(body=body, competence=competence, communes=communes, start=start, end=end):
        error = CompetenceNotHoldable if breach.code == CompetenceNotHoldable.code else OutsideTerritory
        raise error(breach.message, details={"communes": list(breach.communes)} if breach.communes else None)
