"""The reviewed classification of the types of office ("pivot" codes), `data/pivots.yaml` (docs/adr/010).

Every code service-public.fr or the Annuaire uses is one of four classes; journeys show an office by its class:
the body routing finds, a national network's contact, a profession's directory, or the Annuaire.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from unidecode import unidecode

DATA = Path(__file__).parent / "data" / "pivots.yaml"
ANNUAIRE = "https://lannuaire.service-public.fr"
CLASSES = {
    "guichet": "Structure compétente ici",
    "reseau": "Réseau national",
    "profession": "Profession ou organisme privé",
    "annuaire": "Service public local (Annuaire de l'administration)",
}


@dataclass(frozen=True)
class Renamed:
    former_name: str
    on: date
    by: str


@dataclass(frozen=True)
class PivotInfo:
    """One classified type of office. `code` is the canonical code (a free-text alias resolved)."""

    code: str
    label: str
    office_class: str
    source: str
    url: str = ""
    online_title: str = ""
    online_url: str = ""
    annuaire: str = ""
    departements: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    zone: str = ""
    renamed: Renamed | None = None
    fallback: str = ""
    note: str = ""

    @property
    def class_label(self) -> str:
        return CLASSES[self.office_class]

    def applies_to(self, *, departement: str, region: str, zone: str) -> bool:
        """Offices limited to a territory (Paris, Île-de-France, overseas…) are never shown elsewhere."""
        if self.departements and departement not in self.departements:
            return False
        if self.regions and region not in self.regions:
            return False
        return not self.zone or self.zone == zone

    def annuaire_url(self, *, region_name: str = "", departement_name: str = "") -> str:
        """The Annuaire's list of these offices in the département (its national list without one)."""
        if not self.annuaire:
            return ""
        if region_name and departement_name:
            return f"{ANNUAIRE}/navigation/{_slug(region_name)}/{_slug(departement_name)}/{self.annuaire}"
        return f"{ANNUAIRE}/navigation/{self.annuaire}"


@cache  # a few hundred names (régions, départements): computed once each
def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in unidecode(name).lower()).split())


def _info(code: str, entry: dict, alias_of: dict | None = None) -> PivotInfo:
    territory = entry.get("territory") or {}
    renamed = entry.get("renamed")
    online = entry.get("online") or {}
    return PivotInfo(
        code=entry.get("alias_of") or code,
        label=entry["label"],
        office_class=entry["class"],
        source=entry["source"],
        url=entry.get("url") or "",
        online_title=online.get("title", ""),
        online_url=online.get("url", ""),
        annuaire=entry.get("annuaire") or (alias_of or {}).get("annuaire", ""),
        departements=tuple(territory.get("departements", ())),
        regions=tuple(territory.get("regions", ())),
        zone=territory.get("zone", ""),
        renamed=Renamed(renamed["from"], date.fromisoformat(str(renamed["date"])), renamed["by"]) if renamed else None,
        fallback=entry.get("fallback", ""),
        note=entry.get("note", ""),
    )


# libyaml's loader when PyYAML was built with it: the pure-Python one took half a second for this file, paid by the
# first journey of each process (docs/adr/025).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _raw() -> dict[str, Any]:
    return yaml.load(DATA.read_text(), Loader=_LOADER)  # noqa: S506 (a safe loader)


@cache
def pivot_catalogue() -> dict[str, PivotInfo]:
    """Every code of the reviewed file, free-text aliases included (they resolve to their canonical code)."""
    raw = _raw()
    return {str(code): _info(str(code), entry, raw.get(entry.get("alias_of", ""))) for code, entry in raw.items()}


def pivot_info(code: str) -> PivotInfo | None:
    return pivot_catalogue().get(code)


@cache
def pivot_labels() -> dict[str, str]:
    """Canonical pivot code → today's label (aliases left out: they are not codes of the Annuaire)."""
    raw = _raw()
    return {str(k): str(v["label"]) for k, v in raw.items() if not v.get("alias_of")}
