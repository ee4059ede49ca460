"""ROUTING: who is competent for <competence | pivot> in <commune> at <date>, and why.

The one shared mechanism for "who": journeys, cases, impacts and open data call it. It answers from an
in-memory index of the referential (communes → bodies at each level, declarations, Annuaire offices),
rebuilt lazily when the referential changes (any process: a version row in the database).
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F

from sanscouture.bodies.models import Body
from sanscouture.bodies.services import pivot_labels, special_statuses
from sanscouture.territories.models import Commune, CommuneKind

from .catalogue import LEVEL_LABELS, LEVELS, Competence, Rule, catalogue
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
    """Why. kind: loi | statut_particulier | declaration | facultative | annuaire | guichet | non_modelise | inconnu."""

    kind: str
    text: str
    references: tuple[str, ...] = ()
    exercise_id: int | None = None


class Routing(NamedTuple):
    """The answer: the competent body or bodies (several for a shared competence) and the reason."""

    subject: str  # competence code or pivot code
    bodies: tuple[BodyInfo, ...]
    reason: Reason
    label: str = ""

    @property
    def body(self) -> BodyInfo | None:
        return self.bodies[0] if self.bodies else None


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


@dataclass
class _Index:
    places: dict[str, Place]
    declarations: dict[tuple[str, int], list[tuple[date, date | None, BodyInfo, int, str]]]
    offices: dict[tuple[str, int], tuple[BodyInfo, ...]]
    version: int
    answers: dict[tuple, object] = field(default_factory=dict)
    in_transaction: bool = False
    served: dict[str, tuple[str, ...]] | None = None  # body key → INSEE codes, built on first use


_lock = threading.Lock()
_state: dict[str, object] = {"index": None, "checked": 0.0}
CHECK_EVERY_SECONDS = 2.0


def routing_index_invalidate() -> None:
    """Call in the transaction that changes the referential: every process rebuilds on its next answer."""
    RoutingVersion.objects.update_or_create(pk=1, defaults={})
    RoutingVersion.objects.filter(pk=1).update(version=F("version") + 1)
    _drop_local()  # this connection sees its own change at once
    transaction.on_commit(_drop_local)


def _drop_local() -> None:
    _state["index"] = None


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
    bodies = {
        key: BodyInfo(id=pk, key=key, name=name, kind=kind)
        for pk, key, name, kind in Body.objects.active().values_list("pk", "key", "name", "kind")
    }
    places: dict[str, Place] = {}
    rows = Commune.objects.filter(kind=CommuneKind.CURRENT).values_list(
        "pk", "insee_code", "name", "departement_id", "region_id", "epci_id", "epci__kind", "ept_id"
    )
    for pk, code, name, dep, reg, epci, epci_kind, ept in rows:
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
        keys[_LEVEL_INDEX["etat"]] = "prefecture:977-978" if dep in ("977", "978") else f"prefecture:{dep}"
        regime = None
        if epci:
            regime = "MGP" if epci == "200054781" else epci_kind
        level_bodies = tuple(bodies.get(k) if k else None for k in keys)
        places[code] = Place(
            pk=pk,
            insee_code=code,
            name=name,
            departement=dep,
            epci_regime=regime,
            has_ept=bool(ept),
            level_bodies=level_bodies,
            level_notes=tuple(notes),
            not_modelled=not_modelled,
            signature=(regime, bool(ept), tuple(notes), tuple(b is None for b in level_bodies)),
        )

    declarations: dict[tuple[str, int], list[tuple[date, date | None, BodyInfo, int, str]]] = {}
    through = Exercise.communes.through.objects.filter(exercise__withdrawn_at__isnull=True, exercise__body__active=True)
    for ex_id, commune_pk, comp, start, end, body_key, basis, ref in through.values_list(
        "exercise_id",
        "commune_id",
        "exercise__competence",
        "exercise__start",
        "exercise__end",
        "exercise__body__key",
        "exercise__basis",
        "exercise__reference",
    ):
        text = f"{Basis(basis).label}" + (f" : {ref}" if ref else "")
        declarations.setdefault((comp, commune_pk), []).append((start, end, bodies[body_key], ex_id, text))

    offices: dict[tuple[str, int], list[BodyInfo]] = {}
    served = Body.served_communes.through.objects.filter(body__active=True).values_list(
        "body__key", "body__pivots", "commune_id"
    )
    for body_key, pivots, commune_pk in served:
        for pivot in pivots or ():
            offices.setdefault((pivot, commune_pk), []).append(bodies[body_key])
    return _Index(
        places=places,
        declarations=declarations,
        version=version,
        offices={k: tuple(sorted(v, key=lambda b: b.name)) for k, v in offices.items()},
    )


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
    """The routing view of a current commune, or None (a query-free fast path for current codes)."""
    return _index().places.get(insee_code)


def place(insee_code: str) -> Place:
    """The routing view of a current commune (resolve old/delegated codes with territories.selectors first)."""
    try:
        return _index().places[insee_code]
    except KeyError:
        from sanscouture.territories.errors import CommuneNotFound

        raise CommuneNotFound(
            f"Aucune commune actuelle ne porte le code {insee_code}.", details={"code": insee_code}
        ) from None


def route(competence: str | Competence, *, commune: str | Place, on: date | None = None) -> Routing:
    """Who is competent for `competence` in `commune` (current INSEE code) on `on` (default: today), and why."""
    comp = competence if isinstance(competence, Competence) else catalogue().get(competence)
    pl = commune if isinstance(commune, Place) else place(commune)
    return _route(_index(), comp, pl, check_date(on))


def route_all(*, commune: str | Place, on: date | None = None) -> list[Routing]:
    """Every competence of the catalogue for one commune."""
    pl = commune if isinstance(commune, Place) else place(commune)
    on = check_date(on)
    index = _index()
    return [_route(index, comp, pl, on) for comp in catalogue().competences.values()]


def route_everywhere(*, on: date | None = None) -> Iterator[tuple[Place, Competence, Routing]]:
    """Every competence for every current commune of France, in one pass."""
    on = check_date(on)
    index = _index()
    comps = [(comp, comp.rule_at(on)) for comp in catalogue().competences.values()]
    for pl in index.places.values():
        for comp, rule in comps:
            yield pl, comp, _route(index, comp, pl, on, rule)


def _route(index: _Index, comp: Competence, pl: Place, on: date, rule: Rule | None = None) -> Routing:
    """Hot path (35,000 communes × every competence): dictionary look-ups, no query, no formatting."""
    declared = index.declarations.get((comp.code, pl.pk)) if index.declarations else None
    if declared:
        for start, end, body, ex_id, text in declared:
            if start <= on and (end is None or on <= end):
                key = ("decl", comp.code, ex_id)
                answer = index.answers.get(key)
                if answer is None:
                    answer = Routing(
                        comp.code,
                        (body,),
                        Reason(
                            kind="declaration",
                            exercise_id=ex_id,
                            text=f"Exercice déclaré par {body.name} depuis le {start.strftime('%d/%m/%Y')} ({text}).",
                            references=(text,),
                        ),
                        comp.label,
                    )
                    index.answers[key] = answer
                return answer  # type: ignore[return-value]
    rule = rule or comp.rule_at(on)
    if rule is None or pl.not_modelled:
        key = ("none", comp.code, pl.departement)
        answer = index.answers.get(key)
        if answer is None:
            text = pl.not_modelled or f"Aucune règle par défaut connue pour cette compétence au {on:%d/%m/%Y}."
            answer = Routing(comp.code, (), Reason(kind="non_modelise", text=text), comp.label)
            index.answers[key] = answer
        return answer  # type: ignore[return-value]
    # Communes with the same EPCI regime and special statuses share the levels and the reason; only the
    # bodies differ (one mairie each), so the (levels, reason) pair is cached per signature.
    key = (id(rule), pl.signature)
    cached = index.answers.get(key)
    if cached is None:
        levels, branch = _levels(rule, pl)
        idxs = tuple(_LEVEL_INDEX[lv] for lv in levels)
        bodies = tuple(pl.level_bodies[i] for i in idxs)
        notes = tuple(pl.level_notes[i] for i in idxs)
        cached = (idxs, _default_reason(comp, rule, levels, branch, bodies, notes))
        index.answers[key] = cached
    idxs, reason = cached  # type: ignore[misc]
    lb = pl.level_bodies
    if len(idxs) == 1:
        body = lb[idxs[0]]
        return Routing(comp.code, (body,) if body is not None else (), reason, comp.label)
    return Routing(comp.code, tuple(dict.fromkeys(lb[i] for i in idxs if lb[i] is not None)), reason, comp.label)


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
    refs = tuple(str(r) for r in comp.references)
    basis = str(comp.references[0]) if comp.references else "loi"
    holders = ", ".join(LEVEL_LABELS[lv] for lv in levels)
    text = {
        "loi": f"Compétence de : {holders}, selon la loi ({basis}).",
        "ept": "Exercée par l'établissement public territorial (CGCT art. L5219-5).",
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
    return Reason(kind=kind, text=text, references=refs)


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
