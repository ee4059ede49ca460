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
