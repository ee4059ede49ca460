"""The competence catalogue: a reviewed data file (data/competences.yaml), loaded once per process."""

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import CompetenceNotFound

CATALOGUE_FILE = Path(__file__).parent / "data" / "competences.yaml"
LEVELS = ("commune", "epci", "ept", "departement", "region", "etat", "caf", "cpam", "mdph", "sdis")
LEVEL_LABELS = {
    "commune": "commune",
    "epci": "intercommunalité",
    "ept": "établissement public territorial",
    "departement": "département",
    "region": "région",
    "etat": "État (préfecture)",
    "caf": "CAF",
    "cpam": "assurance maladie (CPAM)",
    "mdph": "MDPH",
    "sdis": "service d'incendie et de secours",
}


@dataclass(frozen=True)
class Reference:
    code: str
    article: str
    note: str = ""
    verified: bool = True

    def __str__(self) -> str:
        return f"{self.code} art. {self.article}" + (f" ({self.note})" if self.note else "")

    @property
    def label(self) -> str:
        """How the reference is shown: unverified ones say so."""
        return str(self) + ("" if self.verified else " [référence non vérifiée]")


@dataclass(frozen=True)
class Rule:
    """The default holder(s) under the law for a period."""

    since: date | None
    until: date | None
    holders: tuple[str, ...]
    epci: dict[str, str]
    ept: str | None
    otherwise: str | None
    note: str

    def applies(self, on: date) -> bool:
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)


@dataclass(frozen=True)
class Competence:
    code: str
    label: str
    theme: str
    description: str
    pivots: tuple[str, ...]
    banatic: tuple[str, ...]
    references: tuple[Reference, ...]
    rules: tuple[Rule, ...]
    # What the person does, when it is not simply "go to the competent body" (e.g. where to apply for an ID card).
    guide: str = ""

    def rule_at(self, on: date) -> Rule | None:
        return next((r for r in self.rules if r.applies(on)), None)


@dataclass(frozen=True)
class Catalogue:
    edition: str
    valid_from: date
    competences: dict[str, Competence]

    def get(self, code: str) -> Competence:
        try:
            return self.competences[code]
        except KeyError:
            raise CompetenceNotFound(
                f"Compétence inconnue : « {code} ». Consultez la liste sur /api/v1/competences.",
                details={"competence": code},
            ) from None


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_catalogue(raw: dict[str, Any]) -> Catalogue:
    """Build and check the catalogue; a wrong file fails loudly at start, never at request time."""
    competences: dict[str, Competence] = {}
    for item in raw["competences"]:
        rules = []
        for r in item["rules"]:
            holders = tuple(r["holders"])
            bad = [h for h in (*holders, r.get("otherwise")) if h and h not in LEVELS]
            if bad:
                raise ValueError(f"{item['code']}: niveau inconnu {bad}")
            rules.append(
                Rule(
                    since=_date(r.get("since")),
                    until=_date(r.get("until")),
                    holders=holders,
                    epci=dict(r.get("epci") or {}),
                    ept=r.get("ept"),
                    otherwise=r.get("otherwise"),
                    note=str(r.get("note") or ""),
                )
            )
        if item["code"] in competences:
            raise ValueError(f"compétence en double : {item['code']}")
        competences[item["code"]] = Competence(
            code=item["code"],
            label=item["label"],
            theme=item.get("theme", ""),
            description=item.get("description", ""),
            pivots=tuple(item.get("pivots") or ()),
            banatic=tuple(item.get("banatic") or ()),
            references=tuple(
                Reference(
                    code=str(ref["code"]),
                    article=str(ref.get("article", "")),
                    note=str(ref.get("note") or ""),
                    verified=bool(ref.get("verified", True)),
                )
                for ref in item.get("references") or ()
            ),
            rules=tuple(rules),
            guide=str(item.get("guide") or ""),
        )
    return Catalogue(
        edition=str(raw.get("edition", "")),
        valid_from=_date(raw["valid_from"]) or date(2015, 8, 9),
        competences=competences,
    )


@cache
def catalogue() -> Catalogue:
    return parse_catalogue(yaml.safe_load(CATALOGUE_FILE.read_text()))
