"""ROUTING: who is competent for <competence | pivot> in <commune> at <date>, and why.

The one shared mechanism for "who": journeys, cases, impacts and open data call it. It answers from an
in-memory index of the referential (communes → bodies at each level, declarations, Annuaire offices),
rebuilt lazily when the referential changes (any process: a version row in the database).
"""

import gc
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q

from sanscouture.bodies.models import Body, BodyKind
from sanscouture.bodies.naming import of_commune
from sanscouture.bodies.services import pivot_labels, regime_communes, special_regimes, special_statuses
from sanscouture.territories.models import Commune, CommuneKind, CommunePeriod

from .catalogue import LEVEL_LABELS, LEVELS, Competence, Reference, Rule, catalogue
from .errors import DateOutOfRange, PivotNotFound
from .models import Basis, Exercise, RoutingVersion

LATEST_DATE = date(2099, 12, 31)
ANNUAIRE_NAVIGATION = "https://lannuaire.service-public.fr/navigation/{pivot}"
# Pivots that designate a kind of body directly, and the level that body sits at.
PIVOT_LEVELS = {
    "mairie": "commune",
    "paris_mairie": "commune",
    "mairie_com": "commune",
    "epci": "epci",
    "cg": "departement",
    "cr": "region",
    "prefecture": "etat",
    "caf": "caf",
    "cpam": "cpam",
    "maison_handicapees": "mdph",
}
# Pivots that name a service run by the body of a level, with the text that makes it so.
PIVOT_SERVICES = {
    "pmi": ("departement", "la protection maternelle et infantile est un service du département (CSP L2112-1)"),
    "cdas": ("departement", "service d'action sociale du département (CASF L123-2)"),
    "edas": ("departement", "service d'action sociale du département (CASF L123-2)"),
    "mds": ("departement", "maison départementale des solidarités, service du département (CASF L123-2)"),
    "sdsei": ("departement", "service d'action sociale du département (CASF L123-2)"),
    "ccas": ("commune", "le CCAS est un établissement public de la commune, joignable en mairie (CASF L123-4)"),
}
PIVOT_SYNONYMS = {"msap": "france_services", "france_services": "msap"}
_LEVEL_INDEX = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class BodyInfo:
    """What routing says of a body: enough for screens and APIs without a query."""

    id: int
    key: str
    name: str
    kind: str


@dataclass(frozen=True)
class Reason:
    """Why. kind (the source of the answer, see ADR 011): declaration (an agent's) | statut_particulier (a
    regime the law sets for this territory) | banatic | loi | facultative | annuaire | guichet | non_modelise |
    inconnu. `verified`: every legal reference the answer rests on has been checked against the text."""

    kind: str
    text: str
    references: tuple[str, ...] = ()
    exercise_id: int | None = None
    verified: bool = True


class Routing(NamedTuple):
    """The answer: the competent body or bodies (several for a shared competence) and the reason.

    `others`: what the sources of lower precedence would answer, when they disagree (BANATIC, the law)."""

    subject: str  # competence code or pivot code
    bodies: tuple[BodyInfo, ...]
    reason: Reason
    label: str = ""
    # What `others` is computed from, when first read: (index, competence, place, date, rule, candidates). A plain
    # tuple costs nothing to build on the hot path (ADR 016: route_everywhere with BANATIC loaded).
    pending: tuple = ()

    @property
    def others(self) -> tuple["Routing", ...]:
        return _others(*self.pending) if self.pending else ()

    @property
    def body(self) -> BodyInfo | None:
        return self.bodies[0] if self.bodies else None


# Precedence of the sources of an answer, highest first (ADR 011). The law's default comes last.
RANK_DECLARATION, RANK_REGIME, RANK_BANATIC_SYNDICAT, RANK_BANATIC_EPCI = 0, 1, 2, 3
# Bodies whose BANATIC declarations rank below a syndicat's: an EPCI à fiscalité propre that is a member of a
# syndicat holding the same competence has transferred it to that syndicat.
_FISCAL_EPCI_KINDS = {BodyKind.EPCI, BodyKind.EPT, BodyKind.MAIRIE}


class Candidate(NamedTuple):
    """One non-default answer for a (competence, commune): its rank, its period, its bodies and reason.
    `with_commune`: the commune-level body shares it."""

    rank: int
    start: date
    end: date | None
    bodies: tuple[BodyInfo, ...]
    reason: Reason
    with_commune: bool = False


@dataclass(frozen=True)
class Place:
    """One current commune as routing sees it: the body at each level, and the special statuses."""

    pk: int
    insee_code: str
    name: str
    departement: str
    epci_regime: str | None
    has_ept: bool
    level_bodies: tuple[BodyInfo | None, ...]  # indexed like LEVELS
    level_notes: tuple[str | None, ...]  # special-status basis per level, if any
    not_modelled: str | None
    signature: tuple  # what the default rules depend on besides the bodies themselves
    parent: str | None = None  # for an arrondissement municipal: its commune
    # Declarations and regimes in force here at some date: competence → candidates by precedence (ADR 011).
    overrides: dict[str, tuple["Candidate", ...]] | None = field(default=None, compare=False, hash=False)


@dataclass
class _Index:
    places: dict[str, Place]
    overrides: dict[int, dict[str, tuple[Candidate, ...]]]  # place pk → competence → candidates by precedence
    offices: dict[tuple[str, int], tuple[BodyInfo, ...]]
    version: int
    answers: dict[tuple, object] = field(default_factory=dict)
    in_transaction: bool = False
    served: dict[str, tuple[str, ...]] | None = None  # body key → INSEE codes, built on first use
    sub_places: dict[str, Place] = field(default_factory=dict)  # arrondissements municipaux
    bodies: dict[str, BodyInfo] = field(default_factory=dict)
    # Dated referential: the territory is the current one from `current_since`; before, one index per state.
    current_since: date = date.min
    boundaries: tuple[date, ...] = ()
    past: dict[date, "_Index"] = field(default_factory=dict)
    # Every competence's answer for a place, in catalogue order, per date asked (ADR 001, amendment of issue 16):
    # date → place pk → answers. Filled place by place on first use; the warm path is one look-up per place.
    rows: dict[date, dict[int, tuple[Routing, ...]]] = field(default_factory=dict)
    # One answer object for the answers several places share (a département's, an EPCI's): rows of every place
    # hold ≈ 0.7 M distinct answers instead of 2 M (34,969 × 56).
    shared: dict[tuple, Routing] = field(default_factory=dict)


_lock = threading.Lock()
_state: dict[str, object] = {"index": None, "checked": 0.0}
CHECK_EVERY_SECONDS = 0.5  # another process follows a change within a second (docs/deployment.md)
# Bumped each time this process drops its index: what higher layers keep beside it (the catalogue memo of
# journeys) is dropped with it, at once, even inside the transaction that changed the referential.
_drops = [0]


def local_generation() -> int:
    return _drops[0]


def routing_index_invalidate() -> None:
    """Call in the transaction that changes the referential: every process rebuilds on its next answer."""
    RoutingVersion.objects.update_or_create(pk=1, defaults={})
    RoutingVersion.objects.filter(pk=1).update(version=F("version") + 1)
    _drop_local()  # this connection sees its own change at once
    transaction.on_commit(_drop_local)


def _drop_local() -> None:
    _state["index"] = None
    _drops[0] += 1


def _current_version() -> int:
    return RoutingVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _index() -> _Index:
    index = _state["index"]
    now = time.monotonic()
    fresh = now - float(_state["checked"]) < CHECK_EVERY_SECONDS  # type: ignore[arg-type]
    # An index built inside a transaction may hold changes that were rolled back: check again after it.
    if isinstance(index, _Index) and fresh and (not index.in_transaction or connection.in_atomic_block):
        return index
    with _lock:
        index = _state["index"]
        version = _current_version()
        if not isinstance(index, _Index) or index.version != version:
            index = _build(version)
            index.in_transaction = connection.in_atomic_block
            _state["index"] = index
        _state["checked"] = time.monotonic()
        return index


def _build(version: int) -> _Index:
    st = special_statuses()
    # Every body, inactive ones included: past dates name former mairies, EPCI and mairies d'arrondissement.
    bodies, active = {}, {}
    for pk, key, name, kind, is_active in Body.objects.values_list("pk", "key", "name", "kind", "active"):
        bodies[key] = BodyInfo(id=pk, key=key, name=name, kind=kind)
        if is_active:
            active[key] = bodies[key]
    rows = Commune.objects.filter(kind=CommuneKind.CURRENT).values_list(
        "pk", "insee_code", "name", "departement_id", "region_id", "epci_id", "epci__kind", "ept_id"
    )
    places = {row[1]: _place(*row, bodies=active, st=st) for row in rows}
    flat: dict[tuple[str, int], list[Candidate]] = {}
    _add_declarations(flat, bodies)
    _add_regimes(flat, bodies, places)
    sub_places = _add_arrondissements(flat, bodies, places)
    overrides: dict[int, dict[str, tuple[Candidate, ...]]] = {}
    for (comp, pk), cands in flat.items():
        overrides.setdefault(pk, {})[comp] = (
            tuple(cands) if len(cands) == 1 else tuple(sorted(cands, key=lambda c: (c.rank, -c.start.toordinal())))
        )
    places = {
        code: replace(pl, overrides=overrides[pl.pk]) if pl.pk in overrides else pl for code, pl in places.items()
    }
    sub_places = {
        code: replace(pl, overrides=overrides[pl.pk]) if pl.pk in overrides else pl for code, pl in sub_places.items()
    }

    offices: dict[tuple[str, int], list[BodyInfo]] = {}
    served = Body.served_communes.through.objects.filter(body__active=True).values_list(
        "body__key", "body__pivots", "commune_id"
    )
    for body_key, pivots, commune_pk in served:
        for pivot in pivots or ():
            offices.setdefault((pivot, commune_pk), []).append(bodies[body_key])
    bounds: set[date] = set()
    for start, end in CommunePeriod.objects.values_list("start", "end").distinct():
        bounds.add(start)
        if end is not None:
            bounds.add(end + timedelta(days=1))
    boundaries = tuple(sorted(bounds))
    return _Index(
        places=places,
        overrides=overrides,
        version=version,
        offices={k: tuple(sorted(v, key=lambda b: b.name)) for k, v in offices.items()},
        sub_places=sub_places,
        bodies=bodies,
        current_since=boundaries[-1] if boundaries else date.min,
        boundaries=boundaries,
    )


def _index_at(on: date) -> _Index:
    """The index of the territory as it stood on `on`: the current one, or one built from the dated
    referential for the state in force then (built on first use, dropped with the current index)."""
    index = _index()
    if on >= index.current_since:
        return index
    earlier = [b for b in index.boundaries if b <= on]
    boundary = earlier[-1] if earlier else index.boundaries[0]
    past = index.past.get(boundary)
    if past is None:
        with _lock:
            past = index.past.get(boundary) or _build_past(index, boundary)
            index.past[boundary] = past
    return past


def _build_past(index: _Index, boundary: date) -> _Index:
    """Places as they stood at `boundary`: a commune still current keeps its id (its declarations and offices
    apply); a former commune gets a negative one and the mairie it had."""
    st = special_statuses()
    rows = (
        CommunePeriod.objects.filter(start__lte=boundary)
        .filter(Q(end__isnull=True) | Q(end__gte=boundary))
        .values_list("insee_code", "name", "departement", "region", "epci_siren", "epci_kind", "ept_siren")
    )
    places: dict[str, Place] = {}
    for i, (code, name, dep, reg, epci, kind, ept) in enumerate(rows, start=1):
        now = index.places.get(code)
        pk = now.pk if now else -i
        places[code] = _place(
            pk,
            code,
            name,
            dep,
            reg,
            epci or None,
            kind or None,
            ept or None,
            bodies=index.bodies,
            st=st,
            mairie_name=None if now is not None and now.name == name else f"Mairie {of_commune(name)}",
            overrides=index.overrides.get(pk),
        )
    return _Index(
        places=places,
        overrides=index.overrides,
        offices=index.offices,
        version=index.version,
        sub_places=index.sub_places,
        bodies=index.bodies,
        current_since=date.max,
    )


def _place(
    pk: int,
    code: str,
    name: str,
    dep: str,
    reg: str,
    epci: str | None,
    epci_kind: str | None,
    ept: str | None,
    *,
    bodies: dict[str, BodyInfo],
    st: dict,
    mairie_name: str | None = None,
    overrides: dict[str, tuple[Candidate, ...]] | None = None,
) -> Place:
    """The routing view of one commune: the body at each level and the special statuses that put it there."""
    notes: list[str | None] = [None] * len(LEVELS)
    keys: list[str | None] = [None] * len(LEVELS)
    not_modelled = st["not_modelled"].get(dep)
    if not not_modelled:
        keys[_LEVEL_INDEX["commune"]] = f"mairie:{code}"
        for c in st["collectivites"]:
            if c.get("commune") == code:
                keys[_LEVEL_INDEX["commune"]] = c["key"]
                notes[_LEVEL_INDEX["commune"]] = c["basis"]
        keys[_LEVEL_INDEX["epci"]] = f"epci:{epci}" if epci else None
        keys[_LEVEL_INDEX["ept"]] = f"ept:{ept}" if ept else None
        if epci_kind == "MET69":
            keys[_LEVEL_INDEX["departement"]] = f"epci:{epci}"
            notes[_LEVEL_INDEX["departement"]] = st["metropole_de_lyon"]["basis"]
        elif dep in st["departements"]:
            keys[_LEVEL_INDEX["departement"]] = st["departements"][dep]["body"]
            notes[_LEVEL_INDEX["departement"]] = st["departements"][dep]["basis"]
        else:
            keys[_LEVEL_INDEX["departement"]] = f"departement:{dep}"
        if reg in st["regions"]:
            keys[_LEVEL_INDEX["region"]] = st["regions"][reg]["body"]
            notes[_LEVEL_INDEX["region"]] = st["regions"][reg]["basis"]
        else:
            keys[_LEVEL_INDEX["region"]] = f"region:{reg}"
        social = st["social_security"]["served_by"].get(dep, dep)
        keys[_LEVEL_INDEX["caf"]] = f"caf:{social}"
        keys[_LEVEL_INDEX["cpam"]] = f"cpam:{social}" if f"cpam:{social}" in bodies else f"caf:{social}"
        keys[_LEVEL_INDEX["mdph"]] = f"mdph:{dep}"
        keys[_LEVEL_INDEX["sdis"]], notes[_LEVEL_INDEX["sdis"]] = _secours(code, dep)
    keys[_LEVEL_INDEX["etat"]] = "prefecture:977-978" if dep in ("977", "978") else f"prefecture:{dep}"
    regime = None
    if epci:
        regime = "MGP" if epci == "200054781" else epci_kind
    level_bodies = [bodies.get(k) if k else None for k in keys]
    mairie = level_bodies[_LEVEL_INDEX["commune"]]
    if mairie_name and mairie is not None and mairie.key == f"mairie:{code}":
        # The commune as it stood at a past date: its name then (ADR 011, dated referential).
        level_bodies[_LEVEL_INDEX["commune"]] = BodyInfo(
            id=mairie.id, key=mairie.key, name=mairie_name, kind=mairie.kind
        )
    return Place(
        pk=pk,
        insee_code=code,
        name=name,
        departement=dep,
        epci_regime=regime,
        has_ept=bool(ept),
        level_bodies=tuple(level_bodies),
        level_notes=tuple(notes),
        not_modelled=not_modelled,
        signature=(regime, bool(ept), tuple(notes), tuple(b is None for b in level_bodies)),
        overrides=overrides,
    )


def _secours(code: str, dep: str) -> tuple[str | None, str | None]:
    """The fire and rescue service of a commune, and the special regime that names it, if any."""
    by_commune, by_dep, none = _secours_table()
    found = by_commune.get(code) or by_dep.get(dep)
    if found:
        return found
    return (None, None) if dep in none else (f"sdis:{dep}", None)


@cache
def _secours_table() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]], frozenset[str]]:
    secours = special_regimes()["secours"]
    by_commune = {c: (s["key"], s["basis"]) for s in secours["special"] for c in s.get("communes", ())}
    by_dep = {d: (s["key"], s["basis"]) for s in secours["special"] for d in s.get("departements", ())}
    return by_commune, by_dep, frozenset(secours["none"])


def _references(refs: list[dict]) -> tuple[tuple[str, ...], bool]:
    parsed = [
        Reference(code=r["code"], article=str(r["article"]), note=r.get("note", ""), verified=r["verified"])
        for r in refs
    ]
    return tuple(r.label for r in parsed), all(r.verified for r in parsed)


def _add_declarations(overrides: dict[tuple[str, int], list[Candidate]], bodies: dict[str, BodyInfo]) -> None:
    """Exercise declarations in force: an agent's first, then BANATIC's (a syndicat's before an EPCI's)."""
    candidates: dict[int, tuple[str, Candidate]] = {}
    for ex_id, comp, start, end, body_key, basis, ref in Exercise.objects.filter(
        withdrawn_at__isnull=True, body__active=True
    ).values_list("pk", "competence", "start", "end", "body__key", "basis", "reference"):
        body = bodies[body_key]
        if basis == Basis.BANATIC:
            rank = RANK_BANATIC_EPCI if body.kind in _FISCAL_EPCI_KINDS else RANK_BANATIC_SYNDICAT
            # The import writes « BANATIC, export du JJ/MM/AAAA, code NNNN » (banatic branch).
            ref = ref.removeprefix("BANATIC, ").removeprefix("BANATIC")
            source = f"BANATIC ({ref})" if ref else f"BANATIC, depuis le {start:%d/%m/%Y}"
            reason = Reason(
                kind="banatic",
                exercise_id=ex_id,
                text=f"Selon {source} : exercée par {body.name}.",
                references=(source,),
            )
        else:
            rank = RANK_DECLARATION
            text = f"{Basis(basis).label}" + (f" : {ref}" if ref else "")
            reason = Reason(
                kind="declaration",
                exercise_id=ex_id,
                text=f"Exercice déclaré par {body.name} depuis le {start:%d/%m/%Y} ({text}).",
                references=(text,),
            )
        candidates[ex_id] = (comp, Candidate(rank, start, end, (body,), reason))
    # The link table alone, without joins: it is the big one (one row per declaration × commune).
    for ex_id, commune_pk in Exercise.communes.through.objects.values_list("exercise_id", "commune_id").iterator(
        chunk_size=20_000
    ):
        found = candidates.get(ex_id)
        if found is not None:
            overrides.setdefault((found[0], commune_pk), []).append(found[1])


def _add_regimes(
    overrides: dict[tuple[str, int], list[Candidate]], bodies: dict[str, BodyInfo], places: dict[str, Place]
) -> None:
    """Regimes the law sets for a territory (IDFM, Sytral, préfecture de police…): one candidate per commune."""
    valid_from = catalogue().valid_from
    for r in special_regimes()["regimes"]:
        body = bodies.get(r["key"])
        if body is None:
            continue
        refs, verified = _references(r["references"])
        reason = Reason(kind="statut_particulier", text=r["basis"], references=refs, verified=verified)
        start = date.fromisoformat(str(r["since"])) if r.get("since") else valid_from
        end = date.fromisoformat(str(r["until"])) if r.get("until") else None
        for code in regime_communes(territory=r["territory"]):
            pl = places.get(code)
            if pl is None:
                continue
            cand = Candidate(RANK_REGIME, start, end, (body,), reason, with_commune=bool(r.get("with_commune")))
            for comp in r["competences"]:
                overrides.setdefault((comp, pl.pk), []).append(cand)


def _add_arrondissements(
    overrides: dict[tuple[str, int], list[Candidate]], bodies: dict[str, BodyInfo], places: dict[str, Place]
) -> dict[str, Place]:
    """Arrondissements municipaux answer like their commune, except for what their mairie holds (L2511-26)."""
    arr = special_regimes()["arrondissements"]
    refs, verified = _references(arr["references"])
    reason = Reason(kind="statut_particulier", text=arr["basis"], references=refs, verified=verified)
    valid_from = catalogue().valid_from
    rows = Commune.objects.filter(kind=CommuneKind.ARRONDISSEMENT).values_list(
        "pk", "insee_code", "name", "parent__insee_code"
    )
    rows = list(rows)
    city_pks = {places[parent].pk for _, _, _, parent in rows if parent in places}
    of_city: dict[int, list[tuple[str, list[Candidate]]]] = {}
    for (comp, commune_pk), cands in overrides.items():
        if commune_pk in city_pks:
            of_city.setdefault(commune_pk, []).append((comp, cands))
    sub_places: dict[str, Place] = {}
    for pk, code, name, parent in rows:
        city = places.get(parent)
        if city is None:
            continue
        sub_places[code] = replace(city, pk=pk, insee_code=code, name=name, parent=parent)
        # What the city answers for (regimes, declarations) holds in each of its arrondissements.
        for comp, cands in of_city.get(city.pk, ()):
            overrides.setdefault((comp, pk), []).extend(cands)
    for m in arr["mairies"]:
        body = bodies.get(m["key"])
        if body is None:
            continue
        start = date.fromisoformat(str(m["since"])) if m.get("since") else valid_from
        end = date.fromisoformat(str(m["until"])) if m.get("until") else None
        for code in m["arrondissements"]:
            sub = sub_places.get(code)
            if sub is None:
                continue
            for comp in arr["competences"]:
                overrides.setdefault((comp, sub.pk), []).append(Candidate(RANK_REGIME, start, end, (body,), reason))
            for comp in arr["shared_with_commune"]:
                overrides.setdefault((comp, sub.pk), []).append(
                    Candidate(RANK_REGIME, start, end, (body,), reason, with_commune=True)
                )
    return sub_places


def check_date(on: date | None) -> date:
    """The date of the question; outside the catalogue's validity it is a clear error."""
    on = on or date.today()
    valid_from = catalogue().valid_from
    if on < valid_from or on > LATEST_DATE:
        raise DateOutOfRange(
            f"La date {on.isoformat()} est hors de la période couverte : du {valid_from.strftime('%d/%m/%Y')} "
            f"(loi NOTRe) au {LATEST_DATE.strftime('%d/%m/%Y')}.",
            details={"date": on.isoformat(), "debut": valid_from.isoformat()},
        )
    return on


def place_or_none(insee_code: str) -> Place | None:
    """The routing view of a current commune or of an arrondissement municipal, or None (a query-free fast
    path for these codes)."""
    index = _index()
    return index.places.get(insee_code) or index.sub_places.get(insee_code)


def place(insee_code: str) -> Place:
    """The routing view of a current commune or arrondissement municipal (resolve old/delegated codes with
    territories.selectors first)."""
    found = place_or_none(insee_code)
    if found is not None:
        return found
    from sanscouture.territories.errors import CommuneNotFound

    raise CommuneNotFound(f"Aucune commune actuelle ne porte le code {insee_code}.", details={"code": insee_code})


def place_at(insee_code: str, on: date | None) -> Place:
    """The routing view of a commune as it stood on `on`: a former commune's code, asked for a date before
    its merger, designates that commune (ADR 011, dated referential)."""
    index = _index_at(check_date(on))
    found = index.places.get(insee_code) or index.sub_places.get(insee_code)
    return found if found is not None else place(insee_code)


def route(competence: str | Competence, *, commune: str | Place, on: date | None = None) -> Routing:
    """Who is competent for `competence` in `commune` (INSEE code of a commune, current or as it stood on
    `on`, or of an arrondissement municipal) on `on` (default: today), and why."""
    comp = competence if isinstance(competence, Competence) else catalogue().get(competence)
    on = check_date(on)
    pl = commune if isinstance(commune, Place) else place_at(commune, on)
    return _route(_index_at(on), comp, pl, on)


def route_all(*, commune: str | Place, on: date | None = None) -> list[Routing]:
    """Every competence of the catalogue for one commune."""
    on = check_date(on)
    pl = commune if isinstance(commune, Place) else place_at(commune, on)
    index = _index_at(on)
    rows = index.rows.get(on)
    row = rows.get(pl.pk) if rows is not None else None
    if row is not None and (index.places.get(pl.insee_code) or index.sub_places.get(pl.insee_code)) is pl:
        return list(row)
    # Not kept here: a web process asked about random communes would pay the row's sharing on each first ask
    # (bench_http: 0.22 against 0.49 for the ratio to ping); rows are filled by route_everywhere().
    return [_route(index, comp, pl, on) for comp in catalogue().competences.values()]


def route_everywhere(*, on: date | None = None) -> Iterator[tuple[Place, Competence, Routing]]:
    """Every competence for every commune of France as it stood on `on` (default: today), in one pass."""
    on = check_date(on)
    index = _index_at(on)
    rules = _rules(on)
    comps = tuple(comp for comp, _ in rules)
    rows = _rows(index, on)
    missing = [pl for pl in index.places.values() if pl.pk not in rows]
    if missing:
        # ≈ 0.7 M answers kept at once: without cycles among them, the collector's passes over a growing heap
        # would only cost time (40 % of the first pass under load), so it waits until they are built.
        paused = gc.isenabled()
        gc.disable()
        try:
            for pl in missing:
                _row(index, pl, on, rules)
        finally:
            if paused:
                gc.enable()
    for pl in index.places.values():
        row = rows.get(pl.pk)
        if row is None:  # dropped meanwhile (another date asked by another thread): answered again
            row = _row(index, pl, on, rules)
        for comp, answer in zip(comps, row, strict=True):
            yield pl, comp, answer


_ROWS_KEPT = 4  # dates whose answer rows an index keeps (today, and a few dates asked in a page or a test)


def _rows(index: _Index, on: date) -> dict[int, tuple[Routing, ...]]:
    rows = index.rows.get(on)
    if rows is None:
        if len(index.rows) >= _ROWS_KEPT:
            index.rows.clear()
        rows = index.rows[on] = {}
    return rows


def _row(
    index: _Index, pl: Place, on: date, rules: list[tuple[Competence, Rule | None]] | None = None
) -> tuple[Routing, ...]:
    """Every competence's answer for `pl` on `on`, in catalogue order: computed once per (index, date, place),
    then shared (answers are immutable). A place that is not the index's own (a copy without overrides, a
    place of another date) is answered without being kept."""
    rows = _rows(index, on)
    row = rows.get(pl.pk)
    if row is not None:
        return row
    shared = index.shared
    mairie = pl.level_bodies[0]
    mine: tuple[BodyInfo, ...] | None = None  # the mairie as a one-body tuple, one for the whole row
    answers = []
    for comp, rule in rules or _rules(on):
        answer = _route(index, comp, pl, on, rule)
        if not answer.pending:  # an answer with its disagreements to compute is this place's own
            bodies = answer.bodies
            if len(bodies) == 1 and bodies[0] is mairie:
                if mine is None:
                    mine = bodies
                elif bodies is not mine:
                    answer = answer._replace(bodies=mine)
            elif not any(b is mairie for b in bodies):
                # ids are stable: the answer kept as value holds the reason and the bodies alive.
                answer = shared.setdefault((answer.subject, id(answer.reason), *map(id, bodies)), answer)
        answers.append(answer)
    row = tuple(answers)
    own = index.places.get(pl.insee_code) or index.sub_places.get(pl.insee_code)
    if own is pl:
        rows[pl.pk] = row
    return row


def _rules(on: date) -> list[tuple[Competence, Rule | None]]:
    return [(comp, comp.rule_at(on)) for comp in catalogue().competences.values()]


def _route(index: _Index, comp: Competence, pl: Place, on: date, rule: Rule | None = None) -> Routing:
    """Hot path (35,000 communes × every competence): dictionary look-ups, no query, no formatting."""
    rule = rule or comp.rule_at(on)
    ov = pl.overrides
    if ov is not None:
        cands = ov.get(comp.code)
        if cands:
            if len(cands) == 1:  # the common case (one BANATIC row, one regime): no list to build
                c = cands[0]
                if c.start <= on and (c.end is None or on <= c.end) and not c.with_commune:
                    return Routing(comp.code, c.bodies, c.reason, comp.label, (index, comp, pl, on, rule, cands))
            chosen = [c for c in cands if c.start <= on and (c.end is None or on <= c.end)]
            if chosen:
                top = chosen[0]
                if len(chosen) == 1 and not top.with_commune:
                    bodies = top.bodies
                else:
                    bodies = _candidate_bodies([c for c in chosen if c.rank == top.rank], pl)
                return Routing(comp.code, bodies, top.reason, comp.label, (index, comp, pl, on, rule, chosen))
    if rule is None or pl.not_modelled:
        return _not_modelled(index, comp, pl, on)
    # Communes with the same EPCI regime and special statuses share the levels and the reason; only the
    # bodies differ (one mairie each), so the (levels, reason) pair is cached per signature.
    key = (id(rule), pl.signature)
    cached = index.answers.get(key)
    if cached is None:
        cached = _levels_and_reason(comp, rule, pl)
        index.answers[key] = cached
    idxs, reason = cached  # type: ignore[misc]
    lb = pl.level_bodies
    if len(idxs) == 1:
        body = lb[idxs[0]]
        return Routing(comp.code, (body,) if body is not None else (), reason, comp.label)
    return Routing(comp.code, tuple(dict.fromkeys(lb[i] for i in idxs if lb[i] is not None)), reason, comp.label)


def _others(
    index: _Index, comp: Competence, pl: Place, on: date, rule: Rule | None, cands: Sequence[Candidate]
) -> tuple[Routing, ...]:
    chosen = [c for c in cands if c.start <= on and (c.end is None or on <= c.end)]
    top = chosen[0]
    bodies = _candidate_bodies([c for c in chosen if c.rank == top.rank], pl)
    # The first answer of each other source, where it differs from the one given.
    others: list[Routing] = []
    kinds = {top.reason.kind}
    for c in chosen:
        if c.reason.kind not in kinds:
            kinds.add(c.reason.kind)
            alt = Routing(comp.code, _candidate_bodies([c], pl), c.reason, comp.label)
            if alt.bodies != bodies:
                others.append(alt)
    law = _default(index, comp, pl, on, rule)
    if law.bodies != bodies:
        others.append(law)
    return tuple(others)


def _candidate_bodies(cands: list[Candidate], pl: Place) -> tuple[BodyInfo, ...]:
    found: list[BodyInfo] = []
    for c in cands:
        found.extend(c.bodies)
        if c.with_commune and pl.level_bodies[0] is not None:
            found.append(pl.level_bodies[0])
    return tuple(dict.fromkeys(found))


def _default(index: _Index, comp: Competence, pl: Place, on: date, rule: Rule | None) -> Routing:
    """What the law's default rules (and the special statuses of collectivités) answer."""
    return _route(index, comp, replace(pl, overrides=None) if pl.overrides else pl, on, rule)


def _not_modelled(index: _Index, comp: Competence, pl: Place, on: date) -> Routing:
    key = ("none", comp.code, pl.departement)
    answer = index.answers.get(key)
    if answer is None:
        text = pl.not_modelled or f"Aucune règle par défaut connue pour cette compétence au {on:%d/%m/%Y}."
        answer = Routing(comp.code, (), Reason(kind="non_modelise", text=text), comp.label)
        index.answers[key] = answer
    return answer  # type: ignore[return-value]


def _levels_and_reason(comp: Competence, rule: Rule, pl: Place) -> tuple[tuple[int, ...], Reason]:
    levels, branch = _levels(rule, pl)
    idxs = tuple(_LEVEL_INDEX[lv] for lv in levels)
    bodies = tuple(pl.level_bodies[i] for i in idxs)
    notes = tuple(pl.level_notes[i] for i in idxs)
    return idxs, _default_reason(comp, rule, levels, branch, bodies, notes)


def _levels(rule: Rule, pl: Place) -> tuple[tuple[str, ...], str]:
    """The levels holding the competence for this commune under `rule`, and which branch of it applied."""
    levels: list[str] = []
    branch = "loi"
    for holder in rule.holders:
        if holder == "epci":
            if pl.has_ept and rule.ept == "obligatoire":
                levels.append("ept")
                branch = "ept"
            elif pl.epci_regime and rule.epci.get(pl.epci_regime) == "obligatoire":
                levels.append("epci")
            elif rule.otherwise:
                levels.append(rule.otherwise)
                branch = "facultative" if pl.epci_regime else "sans_epci"
        elif holder == "ept":
            if pl.has_ept:
                levels.append("ept")
            elif rule.otherwise:
                levels.append(rule.otherwise)
                branch = "sans_epci"
        else:
            levels.append(holder)
    return tuple(dict.fromkeys(levels)), branch


def _default_reason(
    comp: Competence,
    rule: Rule,
    levels: tuple[str, ...],
    branch: str,
    bodies: tuple[BodyInfo | None, ...],
    notes: tuple[str | None, ...],
) -> Reason:
    refs = tuple(r.label for r in comp.references)
    checked = [r for r in comp.references if r.verified]
    # Only a reference checked against the text is presented as "selon la loi" (issue 9, item 6).
    if checked:
        basis, verified = f"selon la loi ({checked[0]})", True
    elif comp.references:
        basis, verified = f"d'après {comp.references[0].label}, à confirmer", False
    else:
        basis, verified = "sans référence légale vérifiée", False
    holders = ", ".join(LEVEL_LABELS[lv] for lv in levels)
    text = {
        "loi": f"Compétence de : {holders}, {basis}.",
        # Not "CGCT L5219-5" here: that article's text has not been checked (SOURCE.md), so it is not cited as law.
        "ept": f"Exercée par l'établissement public territorial du Grand Paris ({basis}).",
        "facultative": f"Compétence facultative pour ce type d'intercommunalité : elle reste à la {holders} "
        f"sauf transfert déclaré ({basis}).",
        "sans_epci": f"La commune n'appartient à aucune intercommunalité : compétence de la {holders} ({basis}).",
    }[branch]
    if rule.note:
        text += " " + rule.note
    special = [n for n in notes if n]
    kind = "facultative" if branch == "facultative" else "loi"
    if special:
        kind = "statut_particulier"
        text += " Statut particulier : " + " ".join(dict.fromkeys(special))
    missing = [LEVEL_LABELS[lv] for lv, b in zip(levels, bodies, strict=True) if b is None]
    if missing:
        text += f" Structure non référencée pour : {', '.join(missing)}."
    return Reason(kind=kind, text=text, references=refs, verified=verified)


def communes_served(body_key: str) -> tuple[str, ...]:
    """The current communes for which routing sends people to this body (at any level), by construction
    the communes it serves; Annuaire offices add those they list."""
    index = _index()
    if index.served is None:
        served: dict[str, list[str]] = {}
        for code, pl in index.places.items():
            for body in dict.fromkeys(b for b in pl.level_bodies if b is not None):
                served.setdefault(body.key, []).append(code)
        by_pk = {pl.pk: code for code, pl in index.places.items()}
        for (_, commune_pk), offices in index.offices.items():
            for body in offices:
                served.setdefault(body.key, []).append(by_pk[commune_pk])
        # Regimes and declarations: the communes where they are in force at some date. An arrondissement counts
        # only for its own mairie: what it inherits from its city is counted once, on the city.
        arrondissements = {pl.pk: code for code, pl in index.sub_places.items()}
        for commune_pk, by_comp in index.overrides.items():
            for cands in by_comp.values():
                for cand in cands:
                    for body in cand.bodies:
                        if commune_pk in by_pk:
                            served.setdefault(body.key, []).append(by_pk[commune_pk])
                        elif body.kind == BodyKind.MAIRIE_ARRDT and commune_pk in arrondissements:
                            served.setdefault(body.key, []).append(arrondissements[commune_pk])
        index.served = {k: tuple(sorted(set(v))) for k, v in served.items()}
    return index.served.get(body_key, ())


def check_pivot(pivot: str) -> str:
    pivot = (pivot or "").strip().lower()
    if pivot not in pivot_labels() and pivot not in PIVOT_SYNONYMS:
        raise PivotNotFound(
            f"Type de guichet inconnu : « {pivot} ». La liste est sur /api/v1/pivots.", details={"pivot": pivot}
        )
    return pivot


def route_pivot(pivot: str, *, commune: str | Place, on: date | None = None) -> Routing:
    """The bodies that answer for a service-public.fr pivot (type of local office) in a commune."""
    pivot = check_pivot(pivot)
    pl = commune if isinstance(commune, Place) else place(commune)
    on = check_date(on)
    index = _index()
    label = pivot_labels().get(pivot) or pivot_labels().get(PIVOT_SYNONYMS.get(pivot, ""), pivot)
    offices = index.offices.get((pivot, pl.pk)) or index.offices.get((PIVOT_SYNONYMS.get(pivot, ""), pl.pk))
    if offices:
        if any(b.key.startswith("annuaire:") for b in offices):
            reason = Reason(
                kind="annuaire", text="Guichet(s) de l'Annuaire de l'administration compétent(s) pour cette commune."
            )
        else:  # a body derived from the referential for the communes it serves (a sous-préfecture, its arrondissement)
            reason = Reason(kind="guichet", text=f"{label} : {offices[0].name}, dont le ressort comprend la commune.")
        return Routing(subject=pivot, label=label, bodies=offices, reason=reason)
    level, service = PIVOT_LEVELS.get(pivot), ""
    if pivot in PIVOT_SERVICES:
        level, service = PIVOT_SERVICES[pivot]
    if level == "epci" and pl.has_ept:
        level = "ept"
    if level and not pl.not_modelled:
        body = pl.level_bodies[_LEVEL_INDEX[level]]
        note = pl.level_notes[_LEVEL_INDEX[level]]
        if body is not None:
            text = (
                f"{label} : {service} ; ici, {body.name}."
                if service
                else f"{label} : structure de niveau {LEVEL_LABELS[level]} pour cette commune."
            )
            return Routing(
                subject=pivot,
                label=label,
                bodies=(body,),
                reason=Reason(
                    kind="statut_particulier" if note else "guichet",
                    text=text + (f" Statut particulier : {note}" if note else ""),
                ),
            )
    # A type of office we hold no body for: say what it is and where to find it, never guess from
    # related competences (an ADIL or the MSA is not the département).
    return Routing(
        subject=pivot,
        label=label,
        bodies=(),
        reason=Reason(
            kind="inconnu",
            text=f"Aucune structure de type « {label} » n'est référencée pour cette commune. "
            f"Cherchez-la dans l'Annuaire de l'administration : "
            f"{ANNUAIRE_NAVIGATION.format(pivot=pivot)}",
        ),
    )


def routing_code(requested: str, current: str, on: date | None) -> str:
    """The code to route for: the requested one when it designated a commune (or an arrondissement) on `on`
    (a former commune before its merger), else the current commune it resolves to."""
    index = _index_at(check_date(on))
    return requested if requested in index.places or requested in index.sub_places else current


def disagreement(answer: Routing) -> str:
    """What the other sources say, in one sentence ("Selon BANATIC (export du …) : Syndicat … ; la loi
    désignerait : …"), or "" when they agree."""
    parts = []
    for other in answer.others:
        names = ", ".join(b.name for b in other.bodies) or "aucune structure référencée"
        kind = other.reason.kind
        if kind == "banatic":
            parts.append(f"selon {other.reason.references[0]} : {names}")
        elif kind == "declaration":
            parts.append(f"selon la déclaration de {names}")
        elif kind == "statut_particulier" and other.reason.exercise_id is None and other.reason.references:
            parts.append(f"le régime particulier désignerait : {names}")
        else:
            parts.append(f"la loi désignerait : {names}")
    text = " ; ".join(parts)
    return (text[:1].upper() + text[1:] + ".") if text else ""
