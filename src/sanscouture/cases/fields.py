"""The reviewed data file of personal fields and of each office type's needs."""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sanscouture.bodies.models import BodyKind

FILE = Path(__file__).parent / "data" / "fields.yaml"
# The type of office (pivot) a body answers as, for needs and delays.
KIND_PIVOT = {
    BodyKind.MAIRIE: "mairie",
    BodyKind.EPCI: "epci",
    BodyKind.EPT: "epci",
    BodyKind.DEPARTEMENT: "cg",
    BodyKind.REGION: "cr",
    BodyKind.COLLECTIVITE: "cg",
    BodyKind.PREFECTURE: "prefecture",
    BodyKind.CAF: "caf",
    BodyKind.CPAM: "cpam",
    BodyKind.MAIRIE_ARRDT: "mairie",
    BodyKind.SECU_SOCIALE: "caf",
    BodyKind.MDPH: "maison_handicapees",
}


@cache
def _data() -> dict[str, Any]:
    return yaml.safe_load(FILE.read_text())


def field_labels() -> dict[str, str]:
    return {k: v["label"] for k, v in _data()["fields"].items()}


def needs(pivot: str) -> tuple[str, ...]:
    needs = _data()["needs"]
    return tuple(needs.get(pivot, needs["default"]))


def due_days(pivot: str) -> int:
    days = _data()["due_days"]
    return int(days.get(pivot, days["default"]))


def questionnaire_answers(questionnaire: list[dict[str, Any]], choices: list[str]) -> dict[str, dict[str, Any]]:
    """Question id → the chosen choice (its `id`, `title`, `selected_label`), from a journey's answers."""
    chosen = set(choices)
    out: dict[str, dict[str, Any]] = {}
    for question in questionnaire:
        for choice in question.get("choices", []):
            if choice["id"] in chosen and question["id"] not in out:
                out[question["id"]] = choice
    return out


def declaration_fields(
    *, life_event: str, needed: set[str], answers: dict[str, dict[str, Any]]
) -> tuple[list[tuple[str, list[tuple[str, str]]]], dict[str, str]]:
    """What the declaration form asks, grouped and in the order a person thinks of it — (group title, [(field,
    label)]) — and the values the questionnaire already gave (field → value), which it does not ask again."""
    data = _data()
    labels = {**field_labels(), **data.get("labels_by_event", {}).get(life_event, {})}
    known = {
        field: answers[question]["title"]
        for question, field in data.get("from_questionnaire", {}).items()
        if question in answers and field in needed
    }
    not_applicable = {
        field
        for field, when in data.get("asked_when", {}).items()
        if any(q in answers and answers[q]["id"] not in ids for q, ids in when.items())
    }
    groups = []
    for group in data["groups"]:
        asked = [
            (f, labels[f])
            for f in group["fields"]
            if (f in needed or f in ALWAYS_ASKED) and f not in known and f not in not_applicable
        ]
        if asked:
            groups.append((group["title"], asked))
    return groups, known


ALWAYS_ASKED = frozenset({"nom", "prenoms", "date_naissance", "courriel", "telephone"})  # identity and contact
