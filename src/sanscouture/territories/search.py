"""The in-memory commune search index behind `selectors.commune_lookup` (postcodes, INSEE codes, names,
arrondissements, approximate names). Built once per process from the referential, rebuilt when a new edition
is loaded (the latest Edition row tells every process); `search_index_warm` builds it before serving."""

import re
import threading
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from .models import Commune, CommuneKind, Edition
from .text import normalize

# "paris 15e", "paris 15", "marseille 8eme arrondissement", "lyon 1er arr" (normalised text).
ARRONDISSEMENT = re.compile(
    r"^(?P<city>[a-z][a-z ]*?) (?P<n>\d{1,2}) ?(?:e|er|eme|ere|em)?(?: (?:arrondissement|arrdt|arr))?$"
)
CHECK_EVERY_SECONDS = 2.0
KIND_RANK = {CommuneKind.CURRENT: 0, CommuneKind.ARRONDISSEMENT: 1, CommuneKind.DELEGATED: 2, CommuneKind.ASSOCIATED: 3}


@dataclass(frozen=True)
class Entry:
    """One searchable record: a current commune, an arrondissement municipal, a delegated or associated commune."""

    pk: int
    code: str
    kind: str
    name: str
    norm: str  # "l hay les roses"
    compact: str  # "lhaylesroses": hyphens, apostrophes and spaces do not matter
    departement: str
    population: int
    postcodes: tuple[str, ...]
    parent_pk: int | None  # the current commune, for the others
    parent_name: str = ""


@dataclass
class Index:
    key: tuple[object, ...]
    entries: list[Entry] = field(default_factory=list)
    by_code: dict[str, list[Entry]] = field(default_factory=dict)
    by_postcode: dict[str, list[Entry]] = field(default_factory=dict)
    by_norm: dict[str, list[Entry]] = field(default_factory=dict)  # exact names, norm and compact forms
    arrondissements: dict[tuple[str, int], Entry] = field(default_factory=dict)  # ("paris", 15) → entry
    trigrams: dict[str, list[int]] = field(default_factory=dict)  # over `compact`, entry positions
    sorted_compact: list[tuple[str, int]] = field(default_factory=list)  # for prefixes
    haystack: str = ""  # every compact name, one a line: a substring search is one str.find loop in C
    starts: list[int] = field(default_factory=list)  # where each entry's line starts in `haystack`


_lock = threading.Lock()
_state: dict[str, object] = {"index": None, "checked": 0.0}


def _key() -> tuple[object, ...]:
    latest = Edition.objects.order_by("-pk").values_list("pk", "loaded_at").first()
    return tuple(latest or ())


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _build(key: tuple[object, ...]) -> Index:
    index = Index(key=key)
    rows = list(
        Commune.objects.values_list(
            "pk", "insee_code", "kind", "name", "departement_id", "population", "postcodes", "parent_id"
        )
    )
    names = {pk: name for pk, _, kind, name, *_ in rows if kind == CommuneKind.CURRENT}
    norms = {pk: normalize(name) for pk, name in names.items()}
    for pk, code, kind, name, dep, population, postcodes, parent in rows:
        norm = normalize(name)
        if kind in (CommuneKind.DELEGATED, CommuneKind.ASSOCIATED) and norms.get(parent) == norm:
            continue  # the delegated chef-lieu named like its commune: the commune itself answers
        entry = Entry(
            pk=pk,
            code=code,
            kind=kind,
            name=name,
            norm=norm,
            compact=norm.replace(" ", ""),
            departement=dep,
            population=population or 0,
            postcodes=tuple(postcodes or ()),
            parent_pk=parent,
            parent_name=names.get(parent, ""),
        )
        pos = len(index.entries)
        index.entries.append(entry)
        index.by_code.setdefault(code, []).append(entry)
        index.by_norm.setdefault(norm, []).append(entry)
        if entry.compact != norm:
            index.by_norm.setdefault(entry.compact, []).append(entry)
        index.sorted_compact.append((entry.compact, pos))
        for gram in trigrams(entry.compact):
            index.trigrams.setdefault(gram, []).append(pos)
        if kind == CommuneKind.ARRONDISSEMENT and (m := ARRONDISSEMENT.match(norm)):
            index.arrondissements[(norms.get(parent, m["city"]), int(m["n"]))] = entry
    # A postcode opens the most precise record: the arrondissement that has it, else the current commune.
    precise: dict[tuple[str, int | None], Entry] = {}
    for e in index.entries:
        if e.kind == CommuneKind.ARRONDISSEMENT:
            for pc in e.postcodes:
                precise.setdefault((pc, e.parent_pk), e)
    for e in index.entries:
        if e.kind == CommuneKind.CURRENT:
            for pc in e.postcodes:
                index.by_postcode.setdefault(pc, []).append(precise.get((pc, e.pk), e))
    for found in (*index.by_code.values(), *index.by_norm.values(), *index.by_postcode.values()):
        found.sort(key=rank)
    index.sorted_compact.sort()
    offset = 0
    for e in index.entries:
        index.starts.append(offset)
        offset += len(e.compact) + 1
    index.haystack = "\n".join(e.compact for e in index.entries)
    return index


def containing(index: Index, compact: str) -> list[Entry]:
    """Entries whose compact name contains `compact`."""
    found: list[Entry] = []
    at = index.haystack.find(compact)
    while at != -1:
        pos = bisect_right(index.starts, at) - 1
        found.append(index.entries[pos])
        at = index.haystack.find(compact, index.starts[pos + 1] if pos + 1 < len(index.starts) else len(index.haystack))
    return found


def rank(e: Entry) -> tuple[int, int, str]:
    """Current communes first, then the most populated: the one a person most likely means."""
    return (KIND_RANK.get(e.kind, 9), -e.population, e.name)


def search_index() -> Index:
    """The index, rebuilt when a new edition of the referential has been loaded (checked every 2 s)."""
    index = _state["index"]
    if isinstance(index, Index) and time.monotonic() - float(_state["checked"]) < CHECK_EVERY_SECONDS:  # type: ignore[arg-type]
        return index
    with _lock:
        key = _key()
        index = _state["index"]
        if not isinstance(index, Index) or index.key != key:
            index = _build(key)
            _state["index"] = index
        _state["checked"] = time.monotonic()
        return index


def search_index_drop() -> None:
    """Forget the index (the next search rebuilds it): after loading a referential in tests."""
    _state["index"] = None


def levenshtein(a: str, b: str, bound: int) -> int:
    """Edit distance (a transposition counts one), or bound + 1 as soon as it must exceed `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > bound:
            return bound + 1
        prev2, prev = prev, cur
    return prev[-1]


def approximate(index: Index, compact: str, *, limit: int) -> list[tuple[int, Entry]]:
    """Names within a few typos of `compact` ("montpelier" → Montpellier), closest first: candidates sharing
    the most trigrams, then a bounded edit distance (1 typo up to 5 letters, 2 up to 10, 3 beyond)."""
    if len(compact) < 4:
        return []
    bound = 1 if len(compact) <= 5 else 2 if len(compact) <= 10 else 3
    counts: Counter[int] = Counter()
    for gram in trigrams(compact):
        counts.update(index.trigrams.get(gram, ()))
    found = []
    for pos, _ in counts.most_common(60):
        e = index.entries[pos]
        d = levenshtein(compact, e.compact, bound)
        if d <= bound:
            found.append((d, e))
    found.sort(key=lambda de: (de[0], rank(de[1])))
    return found[:limit]
