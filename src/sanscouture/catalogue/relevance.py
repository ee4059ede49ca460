"""Fiches that a life event's official content shows whatever the person answers, although their title names
one answer of the questionnaire ("affiliation d'un agent public" for a private-sector employee).

Journeys hide only what the official conditions hide; these are reported at import (the issue's rule: say so,
never filter by hand), one French line each.
"""

import re
from collections.abc import Iterable
from typing import Any

from unidecode import unidecode

from .conditions import variables_of

Record = dict[str, Any]
_WORDS = re.compile(r"[a-z0-9]+")
MIN_CHOICE_CHARS = 8  # "Oui", "Non", "Français" name no situation a fiche title could be about


def _normal(text: str) -> str:
    return " ".join(_WORDS.findall(unidecode(text).lower()))


def _links(nodes: Iterable[Record], guarded: frozenset[str], step: str) -> Iterable[tuple[str, frozenset[str], str]]:
    """(target, variables read by the conditions around the link, step title) of every publication link."""
    for node in nodes:
        inner = guarded | variables_of(node["condition"]) if node.get("condition") else guarded
        title = node.get("title", "") if node.get("type") == "chapitre" else step
        for run in node.get("inline", ()):
            if run["type"] == "lien" and run.get("target"):
                yield run["target"], inner, title
        yield from _links(node.get("children") or (), inner, title)


def relevance_notes(life_events: dict[str, Record], publications: dict[str, Record]) -> list[str]:
    notes: list[str] = []
    for pk, event in sorted(life_events.items()):
        choices = [
            (question, choice, f" {_normal(choice['title'])} ")
            for question in event["questionnaire"]
            for choice in question["choices"]
            if len(choice["title"]) >= MIN_CHOICE_CHARS
        ]
        if not choices:
            continue
        event_title = publications.get(pk, {}).get("title", pk)
        seen: set[tuple[str, str]] = set()
        for target, guarded, step in _links(event["content"].get("body", ()), frozenset(), ""):
            pub = publications.get(target)
            if pub is None:
                continue
            title = f" {_normal(pub['title'])} "
            for question, choice, words in choices:
                if words in title and not guarded & set(choice["sets_true"]) and (target, choice["id"]) not in seen:
                    seen.add((target, choice["id"]))
                    notes.append(
                        f"« {event_title} » : la fiche {target} « {pub['title']} » est citée à l'étape « {step} » "
                        f"sans condition sur la réponse « {choice['title']} » (question « {question['title']} ») : "
                        "le contenu officiel la montre quelle que soit la réponse."
                    )
    return notes
