"""Journeys: a life event, the person's answers and a commune → the ordered steps, each routed to the
competent local bodies. A read: nothing is stored."""

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sanscouture.catalogue.conditions import evaluate
from sanscouture.catalogue.models import LifeEvent, Publication
from sanscouture.catalogue.selectors import life_event_get, publications_get
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.errors import PivotNotFound
from sanscouture.competences.routing import (
    ANNUAIRE_NAVIGATION,
    BodyInfo,
    Place,
    check_date,
    communes_served,
    place,
    route,
    route_pivot,
)
from sanscouture.territories.selectors import commune_resolve

from .errors import ConflictingChoices, UnknownChoice
from .models import LocalStep

FICHE_COMPETENCES = Path(__file__).parent / "data" / "fiche_competences.yaml"


@cache
def fiche_competences() -> dict[str, dict[str, str]]:
    """Reviewed mapping: publication id → the competence that decides who handles its démarche."""
    return yaml.safe_load(FICHE_COMPETENCES.read_text())


@dataclass(frozen=True)
class Office:
    """For one pivot (type of office) named by a fiche: the bodies that answer for it in the commune."""

    pivot: str
    label: str
    bodies: tuple[BodyInfo, ...]
    reason: str
    how_to_find: str = ""


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


@dataclass(frozen=True)
class FicheRef:
    id: str
    title: str
    url: str
    kind: str
    pivots: tuple[str, ...]


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
    paragraphs: list[str] = field(default_factory=list)
    fiches: list[FicheRef] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    offices: list[Office] = field(default_factory=list)
    competent: list[Competent] = field(default_factory=list)
    linked_journeys: list[LinkedJourney] = field(default_factory=list)
    local_body: BodyInfo | None = None
    url: str = ""


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

    @property
    def linked_journeys(self) -> list[LinkedJourney]:
        seen: dict[str, LinkedJourney] = {}
        for step in self.steps:
            for linked in step.linked_journeys:
                seen.setdefault(linked.slug, linked)
        return list(seen.values())


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


def _collect(
    nodes: list[dict[str, Any]], variables: dict[str, bool], step: Step, targets: list[str], pivots: list[str]
) -> None:
    """Walk the visible content of a step: paragraphs, links, online services, contacts."""
    for node in nodes:
        if not _visible(node, variables):
            continue
        kind = node.get("type")
        if kind == "paragraphe" and node.get("text"):
            step.paragraphs.append(node["text"])
        elif kind == "lien" and node.get("target"):
            targets.append(node["target"])
        elif kind == "service":
            step.services.append({k: node.get(k) for k in ("id", "title", "url", "type")})
        elif kind == "contact" and node.get("pivot"):
            pivots.append(node["pivot"])
        _collect(node.get("children") or [], variables, step, targets, pivots)


def _steps(content: dict[str, Any], variables: dict[str, bool]) -> list[tuple[Step, list[str], list[str]]]:
    found: list[tuple[Step, list[str], list[str]]] = []

    def visit(nodes: list[dict[str, Any]], phase: str) -> None:
        for node in nodes:
            if not _visible(node, variables):
                continue
            if node.get("type") == "situation":
                visit(node.get("children") or [], node.get("title", ""))
            elif node.get("type") == "chapitre":
                step = Step(number=len(found) + 1, title=node.get("title", ""), phase=phase)
                targets: list[str] = []
                pivots: list[str] = []
                _collect(node.get("children") or [], variables, step, targets, pivots)
                found.append((step, targets, pivots))

    visit(content.get("body") or [], "")
    return found


def _office(pivot: str, pl: Place, on: date, title: str = "") -> Office:
    """The bodies for one pivot; `title` is the fiche's own name for it, used when our list lacks the code."""
    try:
        answer = route_pivot(pivot, commune=pl, on=on)
    except PivotNotFound:
        label = title or pivot
        return Office(
            pivot=pivot,
            label=label,
            bodies=(),
            reason=f"Type de guichet « {label} » : aucune structure de ce type n'est référencée ici.",
            how_to_find=ANNUAIRE_NAVIGATION.format(pivot=pivot),
        )
    how = "" if answer.bodies else ANNUAIRE_NAVIGATION.format(pivot=pivot)
    return Office(
        pivot=pivot, label=title or answer.label, bodies=answer.bodies, reason=answer.reason.text, how_to_find=how
    )


# Offices that exist in one département only (Paris, Marseille): not shown to people elsewhere.
LOCAL_ONLY_PIVOTS = (("paris_", "75"), ("pp_marseille", "13"))


def _applies(pivot: str, pl: Place) -> bool:
    return all(pl.departement == dep for prefix, dep in LOCAL_ONLY_PIVOTS if pivot.startswith(prefix))


def journey_compute(*, life_event: str, choices: list[str], commune: str, on: date | None = None) -> Journey:
    """The journey for `life_event` (slug or F… id) with the chosen answers (choice ids) in `commune`
    (any INSEE code, old and delegated ones included) on `on` (default: today)."""
    event = life_event_get(life_event)
    res = commune_resolve(commune)
    pl = place(res.commune.insee_code)
    on = check_date(on)
    variables, answers = variables_for(event, choices)
    raw_steps = _steps(event.content, variables)
    ids = {t for _, targets, _ in raw_steps for t in targets}
    publications = publications_get(ids)
    life_events = {
        le.publication_id: le for le in LifeEvent.objects.filter(publication_id__in=ids).select_related("publication")
    }
    mapping = fiche_competences()
    comps = catalogue().competences
    warnings = []
    steps = []
    for step, targets, pivots in raw_steps:
        offices: dict[str, Office] = {}
        for target in dict.fromkeys(targets):
            if target == event.publication_id:
                continue
            if target in life_events:
                le = life_events[target]
                step.linked_journeys.append(
                    LinkedJourney(slug=le.slug, publication_id=target, title=le.publication.title)
                )
                continue
            pub: Publication | None = publications.get(target)
            if pub is None:
                warnings.append(f"Étape « {step.title} » : la fiche {target} n'est pas dans le catalogue chargé.")
                continue
            step.fiches.append(
                FicheRef(id=pub.id, title=pub.title, url=pub.url, kind=pub.kind, pivots=tuple(pub.pivots))
            )
            titles = {c["pivot"]: c.get("title", "") for c in pub.contacts if c.get("pivot")}
            for pivot in pub.pivots:
                if pivot not in offices and _applies(pivot, pl):
                    offices[pivot] = _office(pivot, pl, on, titles.get(pivot, ""))
            if pub.id in mapping and mapping[pub.id]["competence"] in comps:
                comp = comps[mapping[pub.id]["competence"]]
                answer = route(comp, commune=pl, on=on)
                pivot_bodies = {b for p in pub.pivots if p in offices for b in offices[p].bodies}
                differs = bool(answer.bodies) and not set(answer.bodies) <= pivot_bodies
                reason = answer.reason.text
                if differs and pub.pivots:
                    guichets = ", ".join(offices[p].label for p in pub.pivots if p in offices)
                    reason = (
                        f"service-public.fr oriente vers : {guichets}. Dans cette commune, la compétence « "
                        f"{comp.label} » est exercée par {', '.join(b.name for b in answer.bodies)}. "
                        + answer.reason.text
                    )
                step.competent.append(
                    Competent(
                        fiche=pub.id,
                        competence=comp.code,
                        label=comp.label,
                        bodies=answer.bodies,
                        reason=reason,
                        differs_from_pivot=differs,
                        note=mapping[pub.id].get("note", ""),
                    )
                )
        for pivot in pivots:
            if pivot not in offices and _applies(pivot, pl):
                offices[pivot] = _office(pivot, pl, on)
        step.offices = list(offices.values())
        steps.append(step)
    steps += _local_steps(event, pl, on, start=len(steps) + 1)
    return Journey(
        life_event=event,
        commune=pl,
        commune_message=res.message,
        on=on,
        answers=answers,
        choices=list(dict.fromkeys(choices)),
        steps=steps,
        warnings=warnings,
    )


def _local_steps(event: LifeEvent, pl: Place, on: date, *, start: int) -> list[Step]:
    steps = []
    for local in LocalStep.objects.in_force(life_event=event.publication_id, on=on).select_related("body"):
        if pl.insee_code not in communes_served(local.body.key):
            continue
        body = BodyInfo(id=local.body.pk, key=local.body.key, name=local.body.name, kind=local.body.kind)
        steps.append(
            Step(
                number=start + len(steps),
                title=local.title,
                phase="Étapes propres à votre territoire",
                paragraphs=[local.description] if local.description else [],
                local_body=body,
                url=local.url,
            )
        )
    return steps
