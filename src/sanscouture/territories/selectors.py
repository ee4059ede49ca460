"""Reads of the territorial referential: resolve a code; look a commune up as a person types it (one mechanism
for every page, the live suggestions, the API and the command line)."""

import re
from bisect import bisect_left
from dataclasses import dataclass

from .errors import AmbiguousCommune, CommuneNotFound, MalformedCode
from .models import Commune, CommuneKind
from .search import ARRONDISSEMENT, Entry, approximate, containing, rank, search_index
from .text import normalize

INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
POSTCODE = re.compile(r"^\d{5}$")

VIA_LABELS = {
    "current": "",
    CommuneKind.ARRONDISSEMENT: "code d'un arrondissement municipal",
    CommuneKind.DELEGATED: "code d'une commune déléguée",
    CommuneKind.ASSOCIATED: "code d'une commune associée",
    "former": "ancien code de commune",
}


@dataclass(frozen=True)
class Resolution:
    """A requested code and the current commune it designates (`via` says how)."""

    commune: Commune
    requested_code: str
    via: str  # "current", a CommuneKind value, or "former"
    matched: Commune | None = None  # the delegated/associated/arrondissement record, when there is one

    @property
    def message(self) -> str:
        if self.via == "current":
            return ""
        what = VIA_LABELS[self.via]
        name = f" ({self.matched.name})" if self.matched else ""
        current = f"{self.commune.name} ({self.commune.insee_code})"
        return f"Le code {self.requested_code}{name} est un {what} : la commune actuelle est {current}."


def _check_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not INSEE_CODE.match(code):
        raise MalformedCode(
            f"« {code} » n'est pas un code INSEE de commune : 5 caractères, chiffres (2A/2B pour la Corse).",
            details={"code": code},
        )
    return code


def commune_resolve(code: str) -> Resolution:
    """The current commune designated by an INSEE code, be it current, delegated, associated, an
    arrondissement municipal or a former code."""
    code = _check_code(code)
    related = ("departement", "region", "epci", "ept")
    rows = {
        c.kind: c
        for c in Commune.objects.filter(insee_code=code).select_related(*related, *(f"parent__{r}" for r in related))
    }
    if CommuneKind.CURRENT in rows:
        return Resolution(commune=rows[CommuneKind.CURRENT], requested_code=code, via="current")
    for kind in (CommuneKind.ARRONDISSEMENT, CommuneKind.DELEGATED, CommuneKind.ASSOCIATED):
        if kind in rows:
            return Resolution(commune=rows[kind].parent, requested_code=code, via=kind, matched=rows[kind])
    heirs = list(Commune.objects.filter(former_codes__code=code).select_related(*related).distinct())
    if len(heirs) == 1:
        return Resolution(commune=heirs[0], requested_code=code, via="former")
    if len(heirs) > 1:
        raise AmbiguousCommune(
            f"L'ancien code {code} a été réparti entre plusieurs communes : "
            + ", ".join(f"{c.name} ({c.insee_code})" for c in heirs)
            + ". Précisez le code actuel.",
            details={"candidats": [c.insee_code for c in heirs]},
        )
    raise CommuneNotFound(f"Aucune commune ne porte le code INSEE {code}.", details={"code": code})


WHY_LABELS = {
    "postcode": "code postal",
    "insee": "code INSEE",
    "name": "",
    "prefix": "",
    "approx": "nom approchant",
}
_WITH_DEPARTEMENT = re.compile(r"^(?P<name>.+?)\s*\((?P<dep>\d{2,3}|2[AB])\)\s*$", re.IGNORECASE)
MAX_CANDIDATES = 12


@dataclass(frozen=True)
class Match:
    """One answer to what a person typed: the current commune, the record that matched (an arrondissement, a
    delegated commune…) and why it matched."""

    resolution: Resolution
    why: str  # postcode, insee, name, prefix, approx
    typed: str

    @property
    def commune(self) -> Commune:
        return self.resolution.commune

    @property
    def code(self) -> str:
        """The code to route for: an arrondissement's own code (its mairie d'arrondissement), else the commune's."""
        return self.resolution.requested_code

    @property
    def name(self) -> str:
        return self.resolution.matched.name if self.resolution.matched else self.commune.name

    @property
    def departement(self) -> str:
        return self.commune.departement_id

    @property
    def label(self) -> str:
        """What the search box holds once chosen, and finds this match again: 'Marseille 8e Arrondissement (13)'."""
        return f"{self.name} ({self.departement})"

    @property
    def hint(self) -> str:
        """Why it is offered, in French: 'code postal 13008', 'commune déléguée de Cherbourg-en-Cotentin'."""
        parts = []
        if self.why in ("postcode", "insee"):
            parts.append(f"{WHY_LABELS[self.why]} {self.typed}")
        matched = self.resolution.matched
        if matched is not None and matched.kind in (CommuneKind.DELEGATED, CommuneKind.ASSOCIATED):
            parts.append(f"{matched.get_kind_display().lower()} de {self.commune.name}")
        if self.why not in ("postcode", "insee"):
            postcodes = matched.postcodes if matched is not None and matched.postcodes else self.commune.postcodes
            if postcodes:
                parts.append(", ".join(postcodes[:3]) + ("…" if len(postcodes) > 3 else ""))
        return " · ".join(parts)


@dataclass(frozen=True)
class Lookup:
    """The matches, best first. `exact` is False when none matched exactly: then they are suggestions
    ("Vouliez-vous dire…")."""

    typed: str
    matches: list[Match]
    exact: bool

    @property
    def approximate(self) -> bool:
        """Only names close to what was typed (a typo): the suggestions say "Vouliez-vous dire"."""
        return bool(self.matches) and all(m.why == "approx" for m in self.matches)


def _resolutions(entries: list[Entry]) -> dict[int, Resolution]:
    """Entries → resolutions, with the current communes fetched in one query (their territories joined)."""
    pks = {e.parent_pk or e.pk for e in entries} | {e.pk for e in entries}
    related = ("departement", "region", "epci", "ept")
    rows = {c.pk: c for c in Commune.objects.filter(pk__in=pks).select_related(*related)}
    out = {}
    for e in entries:
        if e.pk not in rows:
            continue
        if e.kind == CommuneKind.CURRENT:
            out[e.pk] = Resolution(commune=rows[e.pk], requested_code=e.code, via="current")
        elif e.parent_pk in rows:
            out[e.pk] = Resolution(commune=rows[e.parent_pk], requested_code=e.code, via=e.kind, matched=rows[e.pk])
    return out


def _prefixed(index, compact: str) -> list[Entry]:  # noqa: ANN001
    start = bisect_left(index.sorted_compact, (compact, -1))
    found = []
    for key, pos in index.sorted_compact[start:]:
        if not key.startswith(compact):
            break
        found.append(index.entries[pos])
    return found


def _by_name(text: str, *, limit: int, dep: str | None) -> tuple[list[tuple[str, Entry]], bool]:
    """(why, entry) pairs for a name, best first, and whether the best are exact."""
    index = search_index()
    norm = normalize(text)
    compact = norm.replace(" ", "")
    if not compact:
        return [], False

    def keep(e: Entry) -> bool:
        return dep is None or e.departement == dep

    exact = [e for e in index.by_norm.get(norm, []) + index.by_norm.get(compact, []) if keep(e)]
    arr = ARRONDISSEMENT.match(norm)
    if arr:
        city = arr["city"]
        entry = index.arrondissements.get((city, int(arr["n"])))
        if entry is None and city.replace(" ", "") != city:
            entry = index.arrondissements.get((city.replace(" ", ""), int(arr["n"])))
        if entry is not None and keep(entry):
            exact.insert(0, entry)
    found: list[tuple[str, Entry]] = [("name", e) for e in exact]
    if len(found) < limit:
        prefix = sorted((e for e in _prefixed(index, compact) if keep(e)), key=rank)
        found += [("prefix", e) for e in prefix[: limit * 2]]
    if len(found) < limit and len(compact) >= 3:
        inside = sorted((e for e in containing(index, compact) if keep(e)), key=rank)
        found += [("prefix", e) for e in inside[: limit * 2]]
    if not found:  # only a misspelt name: the closest names
        found += [("approx", e) for _, e in approximate(index, compact, limit=limit * 2) if keep(e)]
    return found, bool(exact)


def commune_lookup(text: str, *, limit: int = 10) -> Lookup:
    """What a person typed → communes, best first, from one in-memory index: a five-digit text is a postcode
    (first) and an INSEE code; a name is matched without regard to case, accents, hyphens, apostrophes, "St"/"Ste",
    with "Paris 15e", "Lyon 3", "Marseille 8eme arrondissement" finding the arrondissement; 'Name (34)' keeps the
    département; a misspelt name ("Montpelier") gets the closest names, marked not exact."""
    typed = (text or "").strip()
    if not typed:
        return Lookup(typed=typed, matches=[], exact=False)
    index = search_index()
    pairs: list[tuple[str, Entry]] = []
    exact = True
    upper = typed.upper()
    if INSEE_CODE.match(upper) or POSTCODE.match(typed):
        pairs += [("postcode", e) for e in index.by_postcode.get(typed, [])]
        pairs += [("insee", e) for e in index.by_code.get(upper, [])]
        if not pairs:
            try:  # a former code (a merged commune)
                res = commune_resolve(upper)
            except (CommuneNotFound, AmbiguousCommune):
                return Lookup(typed=typed, matches=[], exact=False)
            return Lookup(typed=typed, matches=[Match(resolution=res, why="insee", typed=upper)], exact=True)
    else:
        m = _WITH_DEPARTEMENT.match(typed)
        name, dep = (m["name"], m["dep"].upper()) if m else (typed, None)
        pairs, exact = _by_name(name, limit=limit, dep=dep)
    seen: set[tuple[int, str]] = set()
    kept: list[tuple[str, Entry]] = []
    for why, e in pairs:
        if (e.parent_pk or e.pk, e.code) not in seen:
            seen.add((e.parent_pk or e.pk, e.code))
            kept.append((why, e))
    kept = kept[:limit]
    resolutions = _resolutions([e for _, e in kept])
    matches = [Match(resolution=resolutions[e.pk], why=why, typed=typed) for why, e in kept if e.pk in resolutions]
    return Lookup(typed=typed, matches=matches, exact=exact and bool(matches))


def commune_search(query: str, *, limit: int = 10) -> list[Match]:
    """The live suggestions and the API's list: `commune_lookup`'s matches, exact or not."""
    return commune_lookup(query, limit=limit).matches


def commune_find(text: str) -> Resolution:
    """What a person typed → one commune, or a clear error: several matches (a postcode and an INSEE code,
    homonyms) are AmbiguousCommune listing them best first; no exact match is CommuneNotFound with the
    closest names in `details["candidats"]` ("Vouliez-vous dire…")."""
    text = (text or "").strip()
    if not text:
        raise MalformedCode("Indiquez une commune : son nom, son code postal ou son code INSEE.")
    found = commune_lookup(text, limit=MAX_CANDIDATES)
    codes = [m.code for m in found.matches]
    if not found.matches and POSTCODE.match(text):
        raise CommuneNotFound(
            f"Aucune commune ne porte le code INSEE {text} ni le code postal {text}.", details={"code": text}
        )
    if not found.matches and INSEE_CODE.match(text.upper()):
        commune_resolve(text)  # raises its own precise error (a former code shared by several communes…)
    if not found.exact:
        close = f" Vouliez-vous dire « {found.matches[0].label} » ?" if found.matches else ""
        raise CommuneNotFound(
            f"Aucune commune ne s'appelle « {text} ».{close}",
            details={"recherche": text, "candidats": codes[:5]},
        )
    first = found.matches[0]
    exact_names = [m for m in found.matches if m.why in ("name", "postcode", "insee")]
    if len(exact_names) == 1:
        return first.resolution
    if all(m.why == "postcode" for m in exact_names):
        what = f"Le code postal {text} couvre plusieurs communes"
    elif first.why in ("postcode", "insee"):
        what = f"« {text} » est un code postal et un code INSEE"
    else:
        what = f"Plusieurs communes s'appellent « {text} »"
    raise AmbiguousCommune(
        f"{what} : "
        + ", ".join(m.label for m in exact_names)
        + ". Choisissez-en une."
        + (f" Précisez le département, par exemple « {first.label} »." if first.why == "name" else ""),
        details={"candidats": [m.code for m in exact_names]},
    )


def commune_candidates(codes: list[str]) -> list[Match]:
    """The communes an error's `candidats` name, in its order (best first), for links."""
    out: list[Match] = []
    for code in codes[:MAX_CANDIDATES]:
        try:
            res = commune_resolve(code)
        except (CommuneNotFound, AmbiguousCommune, MalformedCode):
            continue
        if all(m.code != res.requested_code for m in out):
            out.append(Match(resolution=res, why="candidate", typed=code))
    return out
