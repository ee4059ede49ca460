"""Journeys: a life event, the person's answers and a commune → the ordered steps, each routed to the
competent local bodies. A read: nothing is stored."""

import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml
from django.db import connection

from sanscouture.bodies.pivots import ANNUAIRE, PivotInfo, pivot_info, pivot_labels
from sanscouture.catalogue.conditions import evaluate, variables_of
from sanscouture.catalogue.models import LifeEvent, Publication
from sanscouture.catalogue.parsing import plain_text
from sanscouture.catalogue.selectors import JOURNEY_FIELDS, catalogue_memo, life_event_get, publications_get
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.routing import (
    BodyInfo,
    Place,
    check_date,
    communes_served,
    place,
    place_or_none,
    route,
    route_pivot,
)
from sanscouture.territories.models import Departement
from sanscouture.territories.selectors import commune_resolve

from .errors import ConflictingChoices, UnknownChoice
from .models import LocalStep

FICHE_COMPETENCES = Path(__file__).parent / "data" / "fiche_competences.yaml"
# Life events where the person leaves one commune for another: pages ask both (`commune`, `commune_depart`).
MOVES = frozenset({"je-demenage"})


def is_move(slug: str) -> bool:
    return slug in MOVES


@cache
def fiche_competences() -> dict[str, dict[str, str]]:
    """Reviewed mapping: publication id → the competence that decides who handles its démarche."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: read by a process's first journey
    return yaml.load(FICHE_COMPETENCES.read_text(), Loader=loader)  # noqa: S506 (a safe loader)


@dataclass(frozen=True)
class Office:
    """For one type of office (pivot) named by the official content: who or where, by its class (docs/adr/010).

    `office_class`: guichet (a body routing finds here), reseau (a national network), profession (a profession or
    a private actor), annuaire (offices listed only by the Annuaire). `link_url` is always a working address
    (no spaces): the Annuaire's list for the département, the network's contact or the profession's directory.
    """

    pivot: str
    label: str
    bodies: tuple[BodyInfo, ...]
    reason: str
    office_class: str = "annuaire"
    class_label: str = ""
    link_url: str = ""
    link_label: str = ""
    online_url: str = ""
    online_title: str = ""
    renamed: str = ""
    note: str = ""

    @property
    def how_to_find(self) -> str:
        return "" if self.bodies else self.link_url


@dataclass(frozen=True)
class Competent:
    """A fiche whose démarche depends on a local competence: who exercises it here, and why."""

    fiche: str
    competence: str
    label: str
    bodies: tuple[BodyInfo, ...]
    reason: str
    differs_from_pivot: bool
    note: str = ""
    named_by_fiche: str = ""  # the offices service-public.fr names for it, when they differ


@dataclass(frozen=True)
class OnlineService:
    id: str
    title: str
    url: str
    kind: str
    login: str  # "oui" | "non" | "" (the publication does not say)
    source: str = ""


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    source: str = ""


@dataclass(frozen=True)
class FicheRef:
    id: str
    title: str
    url: str
    kind: str
    pivots: tuple[str, ...]
    description: str = ""
    services: tuple[OnlineService, ...] = ()
    more_info: tuple[Link, ...] = ()


@dataclass(frozen=True)
class LinkedJourney:
    """Another life event linked from a step: shown as a link, never expanded (no loops)."""

    slug: str
    publication_id: str
    title: str


@dataclass
class Step:
    number: int
    title: str
    phase: str = ""
    content: list[dict[str, Any]] = field(default_factory=list)  # the visible official content (parsing)
    fiches: list[FicheRef] = field(default_factory=list)
    services: list[OnlineService] = field(default_factory=list)
    offices: list[Office] = field(default_factory=list)
    competent: list[Competent] = field(default_factory=list)
    linked_journeys: list[LinkedJourney] = field(default_factory=list)
    local_body: BodyInfo | None = None
    url: str = ""
    deadline: str = ""  # the official sentence giving a time limit, if any

    @property
    def competent_by_body(self) -> list[tuple[tuple[BodyInfo, ...], list[Competent]]]:
        """The competences of the step grouped by the bodies that exercise them (one card per body)."""
        groups: dict[tuple[BodyInfo, ...], list[Competent]] = {}
        for c in self.competent:
            groups.setdefault(c.bodies, []).append(c)
        return list(groups.items())

    @property
    def paragraphs(self) -> list[str]:
        """The text of the step, paragraph by paragraph (the tree is in `content`)."""
        return [plain_text([n]) for n in _paragraphs(self.content)]


@dataclass
class Before:
    """The life event's own parts, shown before its steps ("Avant de commencer")."""

    introduction: list[dict[str, Any]] = field(default_factory=list)
    services: list[OnlineService] = field(default_factory=list)
    more_info: list[Link] = field(default_factory=list)
    questions: list[FicheRef] = field(default_factory=list)
    linked_journeys: list[LinkedJourney] = field(default_factory=list)
    offices: list[Office] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # national contacts (phone lines…), as content
    notices: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Unanswered:
    """A question left unanswered, and what the journey leaves out because of it."""

    question: str
    left_out: tuple[str, ...]


@dataclass
class Journey:
    life_event: LifeEvent
    commune: Place
    commune_message: str
    on: date
    answers: list[tuple[str, str]]  # (question title, choice title) as published
    choices: list[str]
    steps: list[Step]
    warnings: list[str]
    before: Before = field(default_factory=Before)
    unanswered: list[Unanswered] = field(default_factory=list)
    glossary: dict[str, dict[str, str]] = field(default_factory=dict)  # the entries the visible content uses

    @property
    def linked_journeys(self) -> list[LinkedJourney]:
        seen: dict[str, LinkedJourney] = {}
        for step in self.steps:
            for linked in step.linked_journeys:
                seen.setdefault(linked.slug, linked)
        return list(seen.values())

    @property
    def urgent_first(self) -> list[Step]:
        """The steps with an official time limit first: named in their title, then in their text; then the others
        (each group in the official order)."""
        return sorted(self.steps, key=lambda s: 0 if s.deadline == s.title else 1 if s.deadline else 2)


def variables_for(event: LifeEvent, choices: list[str]) -> tuple[dict[str, bool], list[tuple[str, str]]]:
    """The variables the chosen answers set; unknown ids and two answers to one question are errors."""
    by_id = {c["id"]: (q, c) for q in event.questionnaire for c in q["choices"]}
    variables: dict[str, bool] = {}
    answered: dict[str, str] = {}
    answers = []
    for choice_id in dict.fromkeys(choices):
        if choice_id not in by_id:
            known = ", ".join(sorted(by_id)) or "aucun (ce moment de vie n'a pas de questionnaire)"
            raise UnknownChoice(
                f"Choix inconnu pour « {event.publication.title} » : « {choice_id} ». Choix possibles : {known}.",
                details={"choix": choice_id},
            )
        question, choice = by_id[choice_id]
        if question["id"] in answered:
            raise ConflictingChoices(
                f"Deux réponses à la même question « {question['title']} » : « {answered[question['id']]} » et "
                f"« {choice['title']} ». Choisissez-en une.",
                details={"question": question["id"]},
            )
        answered[question["id"]] = choice["title"]
        answers.append((question["title"], choice["title"]))
        for var in choice.get("sets_true", ()):
            variables[var] = True
        for var in choice.get("sets_false", ()):
            variables[var] = False
    return variables, answers


def _visible(node: dict[str, Any], variables: dict[str, bool]) -> bool:
    cond = node.get("condition")
    return cond is None or evaluate(cond, variables)


def _paragraphs(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        if node["type"] == "paragraphe":
            yield node
        else:
            yield from _paragraphs(node.get("children") or [])


@dataclass
class _Found:
    """What the visible content of a step cites: publications, online services, offices, glossary entries."""

    targets: list[str] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    pivots: list[tuple[str, str]] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)


def _filter(nodes: list[dict[str, Any]], variables: dict[str, bool], found: _Found) -> list[dict[str, Any]]:
    """The visible part of a content tree, without its conditions. Leaves are shared, never copied or changed."""
    out = []
    for node in nodes:
        if "condition" in node and not evaluate(node["condition"], variables):
            continue
        kind = node["type"]
        if kind == "paragraphe":
            for run in node["inline"]:
                if run["type"] == "lien" and "target" in run:
                    found.targets.append(run["target"])
                elif run["type"] == "definition":
                    found.refs.add(run["ref"])
            out.append(node)
            continue
        if kind == "service":
            found.services.append(node)
        elif kind == "contact" and node.get("pivot"):
            found.pivots.append((node["pivot"], node.get("title", "")))
        children = node.get("children")
        if not children and "condition" not in node:
            out.append(node)
            continue
        copy = {k: v for k, v in node.items() if k != "condition" and k != "children"}
        if children:
            copy["children"] = _filter(children, variables, found)
        out.append(copy)
    return out


# A time limit in the official words: "dans les 5 jours", "avant le", "au plus tard", "préavis"…
_DEADLINE = re.compile(
    r"\b(dans (?:les?|la|l'|un délai de) (?:\d+|1re|premi\w+) ?\w*|dans un délai|sous \d+ jours|au plus tard"
    r"|délai de préavis|le jour même|sans délai|dans le mois|dans les \d+ heures)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?;:]*[.!?;:]?")


def _deadline(title: str, content: list[dict[str, Any]], said: dict[int, tuple[Any, str]] | None = None) -> str:
    """The official sentence giving the step's time limit. `said`: what each paragraph says of it, kept per life
    event (paragraphs are shared, never copied, by `_filter`), so that a new set of answers re-reads none."""
    if _DEADLINE.search(title):
        return title
    for para in _paragraphs(content):
        kept = said.get(id(para)) if said is not None else None
        if kept is not None and kept[0] is para:
            sentence = kept[1]
        else:
            sentence = _paragraph_deadline(para)
            if said is not None:
                said[id(para)] = (para, sentence)  # the node itself is kept: its id is never reused meanwhile
        if sentence:
            return sentence
    return ""


def _paragraph_deadline(para: dict[str, Any]) -> str:
    text = plain_text([para])
    match = _DEADLINE.search(text)
    if match:
        for sentence in _SENTENCE.findall(text):
            if match.group(0) in sentence:
                return sentence.strip()[:240]
    return ""


def _steps(
    content: dict[str, Any], variables: dict[str, bool], said: dict[int, tuple[Any, str]] | None = None
) -> list[tuple[Step, _Found]]:
    found: list[tuple[Step, _Found]] = []

    def visit(nodes: list[dict[str, Any]], phase: str) -> None:
        for node in nodes:
            if not _visible(node, variables):
                continue
            if node["type"] == "situation":
                visit(node.get("children") or [], node.get("title", ""))
            elif node["type"] == "chapitre":
                cited = _Found()
                tree = _filter(node.get("children") or [], variables, cited)
                title = node.get("title", "")
                step = Step(
                    number=len(found) + 1,
                    title=title,
                    phase=phase,
                    content=tree,
                    deadline=_deadline(title, tree, said),
                )
                found.append((step, cited))

    visit(content.get("body") or [], "")
    return found


@dataclass(frozen=True)
class _Where:
    """The commune as offices need it: its place for routing, and the territory names for Annuaire links."""

    place: Place
    region: str
    zone: str
    region_name: str
    departement_name: str


_TERRITORIES: dict[str, tuple[str, str, str, str]] = {}  # département → region, zone, region and dep. names


def _where(pl: Place) -> _Where:
    """The territory of a commune for offices; the names of départements and régions are read once."""
    if pl.departement not in _TERRITORIES:
        _TERRITORIES.update(
            {
                code: (region, zone, region_name, name)
                for code, region, zone, region_name, name in Departement.objects.values_list(
                    "code", "region_id", "zone", "region__name", "name"
                )
            }
        )
    region, zone, region_name, departement_name = _TERRITORIES.get(pl.departement, ("", "", "", ""))
    return _Where(place=pl, region=region, zone=zone, region_name=region_name, departement_name=departement_name)


def _renamed(info: PivotInfo) -> str:
    if info.renamed is None:
        return ""
    r = info.renamed
    return f"Anciennement « {r.former_name} » : nom actuel depuis le {r.on:%d/%m/%Y} ({r.by})."


def _office(code: str, title: str, where: _Where, on: date) -> Office | None:
    """One office by its class; None where such offices do not exist (an office limited to another territory)."""
    info = pivot_info(code)
    pl = where.place
    if info is None:  # not in the reviewed file: the import report says so; never a link built from free text
        label = title or code
        return Office(
            pivot=code,
            label=label,
            bodies=(),
            reason=f"Type de guichet « {label} » : cherchez-le dans l'Annuaire de l'administration.",
            link_url=f"{ANNUAIRE}/recherche?{urlencode({'whoWhat': label})}",
            link_label="Chercher dans l'Annuaire de l'administration",
        )
    if not info.applies_to(departement=pl.departement, region=where.region, zone=where.zone):
        return None
    labels = pivot_labels()
    bodies: tuple[BodyInfo, ...] = ()
    reason = ""
    for candidate in dict.fromkeys(c for c in (info.code, info.annuaire) if c in labels):
        answer = route_pivot(candidate, commune=pl, on=on)
        if answer.bodies:
            bodies, reason = answer.bodies, answer.reason.text
            break
    if not bodies and info.fallback:
        answer = route_pivot(info.fallback, commune=pl, on=on)
        if answer.bodies:
            bodies = answer.bodies
            reason = f"Aucune {info.label.lower()} pour votre commune : {answer.bodies[0].name} en tient lieu."
    annuaire = info.annuaire_url(region_name=where.region_name, departement_name=where.departement_name)
    if info.office_class in ("reseau", "profession") or (not annuaire and info.url):
        link_url = info.url
        host = urlsplit(info.url).netloc.removeprefix("www.")
        link_label = f"{'Contact officiel' if info.office_class == 'reseau' else 'Annuaire officiel'} : {host}"
    else:
        link_url, link_label = annuaire, f"Les adresses dans l'Annuaire de l'administration ({where.departement_name})"
    if not reason:
        reason = {
            "guichet": f"Aucune structure de ce type n'est référencée pour {pl.name}.",
            "reseau": f"{info.label} : réseau national, joignable par son site officiel.",
            "profession": "Profession réglementée ou organisme privé : choisissez-en un dans l'annuaire officiel.",
            "annuaire": "Service de l'État ou organisme local : ses adresses sont dans l'Annuaire de l'administration.",
        }[info.office_class]
    return Office(
        pivot=info.code,
        label=info.label,
        bodies=bodies,
        reason=reason,
        office_class=info.office_class,
        class_label=info.class_label,
        link_url=link_url,
        link_label=link_label,
        online_url=info.online_url,
        online_title=info.online_title,
        renamed=_renamed(info),
        note=info.note,
    )


def _service(node: dict[str, Any]) -> OnlineService:
    return OnlineService(
        id=node.get("id") or "",
        title=node.get("title") or "",
        url=node.get("url") or "",
        kind=node.get("kind") or node.get("type") or "",
        login=node.get("login") or "",
        source=node.get("source") or "",
    )


def _fiche(pub: Publication) -> FicheRef:
    return FicheRef(
        id=pub.id,
        title=pub.title,
        url=pub.url,
        kind=pub.kind,
        pivots=tuple(pub.pivots),
        description=pub.description,
        services=tuple(_service(s) for s in pub.online_services if s.get("url")),
        more_info=tuple(Link(m["title"], m["url"], m.get("source", "")) for m in pub.more_info if m.get("url")),
    )


def _unanswered(event: LifeEvent, variables: dict[str, bool], answered: set[str]) -> list[Unanswered]:
    """Each question without an answer, and the parts of the content its answers would show."""
    out = []
    for question in event.questionnaire:
        if question["id"] in answered:
            continue
        its_vars = {v for c in question["choices"] for v in (*c["sets_true"], *c["sets_false"])}
        left: list[str] = []

        def visit(
            nodes: list[dict[str, Any]], step: str, its_vars: set[str] = its_vars, left: list[str] = left
        ) -> None:
            for node in nodes:
                cond = node.get("condition")
                title = node.get("title", "") if node["type"] == "chapitre" else step
                if cond is not None and variables_of(cond) & its_vars and not evaluate(cond, variables):
                    label = title or node.get("title") or plain_text([node])[:80].rstrip() + "…"
                    if label not in left:  # the step it belongs to, once: short enough to read
                        left.append(label)
                    continue
                visit(node.get("children") or [], title)

        visit(event.content.get("body") or [], "")
        out.append(Unanswered(question=question["title"], left_out=tuple(left)))
    return out


@dataclass(frozen=True)
class _CitedFiche:
    """A publication a step cites, as the step shows it whatever the commune."""

    fiche: FicheRef
    publication: Publication
    pivots: tuple[tuple[str, str], ...]  # (pivot, the title the publication gives its contact)
    competence: dict[str, str] | None  # the reviewed mapping's entry, when a local competence decides


@dataclass(frozen=True)
class _StepPlan:
    """One step for one set of answers, whatever the commune: its visible content, what it cites."""

    title: str
    phase: str
    content: list[dict[str, Any]]
    deadline: str
    services: tuple[OnlineService, ...]
    linked: tuple[LinkedJourney, ...]
    fiches: tuple[_CitedFiche, ...]
    pivots: tuple[tuple[str, str], ...]  # the offices the step's own content names


@dataclass(frozen=True)
class _Compiled:
    """What a life event shows for one set of answers in any commune: computed once, kept in the catalogue memo,
    so that a journey only routes (docs/adr/025)."""

    steps: tuple[_StepPlan, ...]
    introduction: list[dict[str, Any]]
    before_services: tuple[OnlineService, ...]
    more_info: tuple[Link, ...]
    questions: tuple[FicheRef, ...]
    linked: tuple[LinkedJourney, ...]
    contacts: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    before_pivots: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]
    glossary: dict[str, dict[str, str]]
    unanswered: tuple[Unanswered, ...]


# Per (commune, date): the offices and competent bodies journeys found there, kept for the next journey of the
# same commune (any life event). Bounded: the least recently used communes are dropped first.
COMMUNES_KEPT = 2000


def journey_compute(*, life_event: str, choices: list[str], commune: str, on: date | None = None) -> Journey:
    """The journey for `life_event` (slug or F… id) with the chosen answers (choice ids) in `commune`
    (any INSEE code, old and delegated ones included) on `on` (default: today).

    What does not depend on the commune (the visible content for these answers, the publications cited) is
    computed once per life event and answers; what does (offices, competent bodies) once per commune and date;
    both are kept in the process until the catalogue or the routing changes (`catalogue_memo`)."""
    memo = catalogue_memo()
    event = memo.get(("life_event", life_event)) or life_event_get(life_event)
    memo[("life_event", life_event)] = event
    pl = place_or_none(commune)  # a current INSEE code: no query (old and delegated codes are resolved)
    message = ""
    if pl is None:
        res = commune_resolve(commune)
        pl, message = place(res.commune.insee_code), res.message
    on = check_date(on)
    variables, answers = variables_for(event, choices)
    answered = frozenset(q["id"] for q in event.questionnaire for c in q["choices"] if c["id"] in choices)
    key = ("compiled", event.publication_id, frozenset(variables.items()), answered)
    compiled = memo.get(key)
    if compiled is None:
        compiled = memo[key] = _compile(event, variables, answered, memo)
    here = _here(pl, on, memo)
    offices_seen: dict[str, Office | None] = {}

    def office(code: str, title: str = "") -> Office | None:
        if code not in offices_seen:
            if (code, title) not in here["offices"]:
                here["offices"][(code, title)] = _office(code, title, here["where"], on)
            offices_seen[code] = here["offices"][(code, title)]
        return offices_seen[code]

    steps = []
    for plan in compiled.steps:
        step = Step(
            number=len(steps) + 1,
            title=plan.title,
            phase=plan.phase,
            content=plan.content,
            deadline=plan.deadline,
            services=list(plan.services),
            linked_journeys=list(plan.linked),
        )
        offices: dict[str, Office] = {}
        for cited in plan.fiches:
            step.fiches.append(cited.fiche)
            for pivot, title in cited.pivots:
                found_office = office(pivot, title)
                if found_office is not None:
                    offices.setdefault(found_office.pivot, found_office)
            if cited.competence is not None:
                pub = cited.publication
                if pub.id not in here["competent"]:
                    here["competent"][pub.id] = _competent(
                        pub, cited.competence, catalogue().competences, pl, on, offices
                    )
                step.competent.append(here["competent"][pub.id])
        for pivot, title in plan.pivots:
            found_office = office(pivot, title)
            if found_office is not None:
                offices.setdefault(found_office.pivot, found_office)
        step.offices = list(offices.values())
        steps.append(step)
    steps += _local_steps(event, pl, on, memo, start=len(steps) + 1)
    before = Before(
        introduction=compiled.introduction,
        services=list(compiled.before_services),
        more_info=list(compiled.more_info),
        questions=list(compiled.questions),
        linked_journeys=list(compiled.linked),
        contacts=compiled.contacts,
        notices=compiled.notices,
    )
    for pivot, title in compiled.before_pivots:
        found_office = office(pivot, title)
        if found_office is not None and found_office not in before.offices:
            before.offices.append(found_office)
    return Journey(
        life_event=event,
        commune=pl,
        commune_message=message,
        on=on,
        answers=answers,
        choices=list(dict.fromkeys(choices)),
        steps=steps,
        warnings=list(compiled.warnings),
        before=before,
        unanswered=list(compiled.unanswered),
        glossary=compiled.glossary,
    )


def journeys_warm(commune: str = "75056") -> int:
    """Read every life event once, as `sanscouture serve` does before forking its workers: each keeps the life
    events, the publications they cite, their fiches and what each paragraph says of a time limit, so that the
    first journey of a life event in a worker only compiles its answers and routes its commune. Returns the
    number of life events read."""
    slugs = list(LifeEvent.objects.values_list("slug", flat=True))
    for slug in slugs:
        journey_compute(life_event=slug, choices=[], commune=commune)
    return len(slugs)


def _here(pl: Place, on: date, memo: dict[Any, Any]) -> dict[str, Any]:
    """What journeys found in one commune on one date (offices by pivot, competent bodies by publication), kept
    for the next journey there; the least recently used communes are dropped beyond COMMUNES_KEPT."""
    kept = memo.get("communes")
    if kept is None:
        kept = memo["communes"] = OrderedDict()
    key = (pl.insee_code, on)
    here = kept.get(key)
    if here is None:
        here = kept[key] = {"where": _where(pl), "offices": {}, "competent": {}}
        while len(kept) > COMMUNES_KEPT:
            kept.popitem(last=False)
    else:
        kept.move_to_end(key)
    return here


def _compile(event: LifeEvent, variables: dict[str, bool], answered: frozenset[str], memo: dict[Any, Any]) -> _Compiled:
    """The commune-independent part of a journey for one set of answers (see `_Compiled`)."""
    content = event.content
    raw_steps = _steps(content, variables, memo.setdefault(("deadlines", event.publication_id), {}))
    before_raw = content.get("before") or {}
    intro_found = _Found()
    introduction = _filter(content.get("introduction") or [], variables, intro_found)
    extra = [x["target"] for key in ("questions", "see_also") for x in before_raw.get(key, ())]
    cited = memo.get(("cited", event.publication_id)) or _cited(event, extra)
    memo[("cited", event.publication_id)] = cited
    publications, life_events = cited
    mapping = fiche_competences()
    comps = catalogue().competences
    fiches: dict[str, FicheRef] = memo.setdefault(("fiches", event.publication_id), {})

    def fiche(pub: Publication) -> FicheRef:
        if pub.id not in fiches:
            fiches[pub.id] = _fiche(pub)
        return fiches[pub.id]

    warnings = []
    plans = []
    refs: set[str] = set(intro_found.refs)
    for step, found in raw_steps:
        refs |= found.refs
        linked: list[LinkedJourney] = []
        cited_fiches: list[_CitedFiche] = []
        for target in dict.fromkeys(found.targets):
            if target == event.publication_id:
                continue
            if target in life_events:
                le = life_events[target]
                linked.append(LinkedJourney(slug=le.slug, publication_id=target, title=le.publication.title))
                continue
            pub: Publication | None = publications.get(target)
            if pub is None:
                warnings.append(f"Étape « {step.title} » : la fiche {target} n'est pas dans le catalogue chargé.")
                continue
            titles = {c["pivot"]: c.get("title", "") for c in pub.contacts if c.get("pivot")}
            entry = mapping.get(pub.id)
            cited_fiches.append(
                _CitedFiche(
                    fiche=fiche(pub),
                    publication=pub,
                    pivots=tuple((pivot, titles.get(pivot, "")) for pivot in pub.pivots),
                    competence=entry if entry and entry["competence"] in comps else None,
                )
            )
        plans.append(
            _StepPlan(
                title=step.title,
                phase=step.phase,
                content=step.content,
                deadline=step.deadline,
                services=tuple(_service(n) for n in found.services if n.get("url")),
                linked=tuple(linked),
                fiches=tuple(cited_fiches),
                pivots=tuple(found.pivots),
            )
        )
    glossary = content.get("glossary") or {}
    return _Compiled(
        steps=tuple(plans),
        introduction=introduction,
        before_services=tuple(_service(n) for n in before_raw.get("services", ()) if n.get("url")),
        more_info=tuple(Link(m["title"], m["url"], m.get("source", "")) for m in before_raw.get("more_info", ())),
        questions=tuple(
            fiche(publications[x["target"]]) for x in before_raw.get("questions", ()) if x["target"] in publications
        ),
        linked=tuple(
            LinkedJourney(slug=life_events[x["target"]].slug, publication_id=x["target"], title=x["title"])
            for x in before_raw.get("see_also", ())
            if x["target"] in life_events and x["target"] != event.publication_id
        ),
        contacts=[c for c in before_raw.get("contacts", ()) if not c.get("pivot")],
        notices=before_raw.get("notices", []),
        before_pivots=tuple((c["pivot"], c.get("title", "")) for c in before_raw.get("contacts", ()) if c.get("pivot")),
        warnings=tuple(warnings),
        glossary={ref: glossary[ref] for ref in sorted(refs) if ref in glossary},
        unanswered=tuple(_unanswered(event, variables, set(answered)))
        if len(answered) < len(event.questionnaire)
        else (),
    )


def _cited(event: LifeEvent, extra: list[str]) -> tuple[dict[str, Publication], dict[str, LifeEvent]]:
    """The publications and linked life events that `event` cites anywhere, whatever the answers (two queries;
    kept in the catalogue memo, so a journey reads none)."""
    ids = set(extra)

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["type"] == "paragraphe":
                ids.update(r["target"] for r in node["inline"] if r["type"] == "lien" and "target" in r)
            visit(node.get("children") or [])

    visit(event.content.get("body") or [])
    publications = publications_get(ids, fields=JOURNEY_FIELDS)
    life_events = {  # linked life events: their slug and title only
        le.publication_id: le
        for le in LifeEvent.objects.filter(publication_id__in=ids)
        .select_related("publication")
        .only("publication_id", "slug", "publication__id", "publication__title")
    }
    return publications, life_events


def _competent(
    pub: Publication, entry: dict[str, str], comps: dict[str, Any], pl: Place, on: date, offices: dict[str, Office]
) -> Competent:
    """Who exercises the competence the fiche's démarche depends on; said calmly when it is not the office the
    fiche names (the fiche is national, the sharing of competences local)."""
    comp = comps[entry["competence"]]
    answer = route(comp, commune=pl, on=on)
    named = [offices[p] for p in pub.pivots if p in offices]
    pivot_bodies = {b for o in named for b in o.bodies}
    differs = bool(answer.bodies) and not set(answer.bodies) <= pivot_bodies
    return Competent(
        fiche=pub.id,
        competence=comp.code,
        label=comp.label,
        bodies=answer.bodies,
        reason=answer.reason.text,
        differs_from_pivot=differs,
        note=entry.get("note", ""),
        named_by_fiche=", ".join(o.label for o in named) if differs else "",
    )


def _local_steps(event: LifeEvent, pl: Place, on: date, memo: dict[Any, Any], *, start: int) -> list[Step]:
    steps = []
    for local in _local_steps_of(event.publication_id, memo):
        if not local.in_force(on=on) or pl.insee_code not in communes_served(local.body.key):
            continue
        body = BodyInfo(id=local.body.pk, key=local.body.key, name=local.body.name, kind=local.body.kind)
        content = (
            [{"type": "paragraphe", "inline": [{"type": "texte", "text": line}]} for line in _lines(local.description)]
            if local.description
            else []
        )
        steps.append(
            Step(
                number=start + len(steps),
                title=local.title,
                phase="Étapes propres à votre territoire",
                content=content,
                local_body=body,
                url=local.url,
            )
        )
    return steps


_batch: ContextVar[dict[str, list[LocalStep]] | None] = ContextVar("journeys_batch", default=None)


@contextmanager
def journeys_batch() -> Iterator[None]:
    """Journeys computed together (a declaration's arrival and departure): the local steps of a life event are
    checked once for all of them, one query fewer per journey after the first."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def _local_steps_of(life_event: str, memo: dict[Any, Any]) -> list[LocalStep]:
    """The local steps of a life event not withdrawn, kept in the memo while a one-row stamp of the table says
    nothing was added or withdrawn (steps are never edited: a change is a withdrawal and a new step). The stamp
    holds the latest creation and withdrawal times too, so that a step written by a rolled-back transaction is
    never taken for a later one of the same id (SQLite reuses the highest id). Plain SQL: the ORM would spend
    more composing the query than the database answering it."""
    batch = _batch.get()
    if batch is not None and life_event in batch:
        return batch[life_event]
    table = LocalStep._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), MAX(id), COUNT(withdrawn_at), MAX(created_at), MAX(withdrawn_at) "  # noqa: S608
            f"FROM {table} WHERE life_event = %s",
            [life_event],
        )
        stamp = cursor.fetchone()
    kept = memo.get(("local_steps", life_event))
    if kept is None or kept[0] != stamp:
        steps = (
            []
            if not stamp[0]
            else list(LocalStep.objects.filter(life_event=life_event, withdrawn_at__isnull=True).select_related("body"))
        )
        kept = (stamp, steps)
        memo[("local_steps", life_event)] = kept
    if batch is not None:
        batch[life_event] = kept[1]
    return kept[1]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
