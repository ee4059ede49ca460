"""The reviewed file of dependencies between competences and types of office (data/dependencies.yaml)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from sanscouture.competences.catalogue import Reference

DEPENDENCIES_FILE = Path(__file__).parent / "data" / "dependencies.yaml"
PIVOT_PREFIX = "pivot:"


@dataclass(frozen=True)
class Edge:
    """`source` (a competence code or `pivot:<code>`) affects `target`, because of `reason`, per `reference`."""

    source: str
    target: str
    reason: str
    reference: Reference


@cache
def dependencies() -> dict[str, tuple[Edge, ...]]:
    """Edges by the subject they start from."""
    raw = yaml.safe_load(DEPENDENCIES_FILE.read_text(encoding="utf-8"))
    by_source: dict[str, list[Edge]] = {}
    for e in raw["edges"]:
        src = e["source"]
        ref = Reference(src["code"], str(src["article"]), src.get("note", ""), bool(src.get("verified", False)))
        by_source.setdefault(e["from"], []).append(Edge(e["from"], e["to"], e["reason"].strip(), ref))
    return {k: tuple(v) for k, v in by_source.items()}


def dependants(subject: str) -> tuple[Edge, ...]:
    return dependencies().get(subject, ())
