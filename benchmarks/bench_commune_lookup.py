"""Benchmark: the commune lookup behind every search box, the live suggestions and GET /api/v1/communes?q=.

    .venv/bin/python benchmarks/bench_commune_lookup.py

Needs the full bundled referential (the SQLite database cached by bench_referential_load.py, or loaded first).
What is timed (one process, SQLite, warm index):
- index build: the first `search_index()` after `search_index_drop()` (the server does it once, before forking);
- `commune_lookup(text, limit=8)` (what one keystroke asks) over 2,000 queries drawn with seed 42 from the real
  names and postcodes: exact names, postcodes, name prefixes of 3 to 6 letters, "Ville Ne" arrondissements, and
  names with one letter dropped (the typo path): median / p95 per kind and overall;
- baseline in the same run: one dict lookup of the same normalised text in a dict of every name (what an exact,
  typo-intolerant search would cost), and `Commune.objects.filter(pk=…).first()` (one database row).

Target (issue 8, noted here): p95 of a keystroke's lookup < 20 ms on this 2-core machine.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import copy_db, django_setup, median, percentile, print_header, write_results  # noqa: E402
from bench_routing import loaded_db  # noqa: E402

TARGET_MS = 20.0
N = 2000


def queries(entries: list, rnd: random.Random) -> list[tuple[str, str]]:  # noqa: ANN001
    current = [e for e in entries if e.kind == "current"]
    arrs = [e for e in entries if e.kind == "arrondissement"]
    out: list[tuple[str, str]] = []
    for _ in range(N):
        kind = rnd.choice(["nom", "code postal", "début", "arrondissement", "faute"])
        e = rnd.choice(current)
        if kind == "nom":
            out.append((kind, e.name))
        elif kind == "code postal" and e.postcodes:
            out.append((kind, rnd.choice(e.postcodes)))
        elif kind == "début":
            out.append((kind, e.name[: rnd.randint(3, 6)]))
        elif kind == "arrondissement":
            a = rnd.choice(arrs)
            city, n = a.name.split(" ")[0], a.name.split(" ")[1]
            out.append((kind, f"{city} {n}"))
        else:
            i = rnd.randrange(1, max(2, len(e.name) - 1))
            out.append(("faute", e.name[:i] + e.name[i + 1 :]))
    return out


def run() -> dict[str, object]:
    from sanscouture.territories.models import Commune
    from sanscouture.territories.search import search_index, search_index_drop
    from sanscouture.territories.selectors import commune_lookup
    from sanscouture.territories.text import normalize

    search_index_drop()
    t0 = time.perf_counter()
    index = search_index()
    build_s = time.perf_counter() - t0
    print(f"construction de l'index : {build_s:.2f} s ({len(index.entries)} noms)")
    rnd = random.Random(42)
    qs = queries(index.entries, rnd)
    by_kind: dict[str, list[float]] = {}
    all_ms: list[float] = []
    for kind, text in qs:
        t = time.perf_counter()
        commune_lookup(text, limit=8)
        ms = (time.perf_counter() - t) * 1000
        by_kind.setdefault(kind, []).append(ms)
        all_ms.append(ms)
    names = {e.norm: e for e in index.entries}
    base_ms = []
    for _, text in qs:
        t = time.perf_counter()
        names.get(normalize(text))
        base_ms.append((time.perf_counter() - t) * 1000)
    pks = [e.pk for e in index.entries]
    row_ms = []
    for _ in range(500):
        t = time.perf_counter()
        Commune.objects.filter(pk=rnd.choice(pks)).first()
        row_ms.append((time.perf_counter() - t) * 1000)
    p95 = percentile(all_ms, 95)
    print(f"{'requête':<16} {'n':>5} {'médiane ms':>11} {'p95 ms':>8}")
    for kind, values in sorted(by_kind.items()):
        print(f"{kind:<16} {len(values):>5} {median(values):>11.2f} {percentile(values, 95):>8.2f}")
    print(f"{'toutes':<16} {len(all_ms):>5} {median(all_ms):>11.2f} {p95:>8.2f}")
    print(
        f"base : un dict (nom exact)   médiane {median(base_ms) * 1000:.1f} µs, "
        f"p95 {percentile(base_ms, 95) * 1000:.1f} µs"
    )
    print(f"base : une ligne en base     médiane {median(row_ms):.2f} ms, p95 {percentile(row_ms, 95):.2f} ms")
    print(f"rapport p95 recherche / p95 ligne en base : {p95 / percentile(row_ms, 95):.1f}")
    print(f"cible p95 < {TARGET_MS:.0f} ms : {'OK' if p95 < TARGET_MS else 'AU-DELÀ DE LA CIBLE'}")
    return {
        "index_build_s": build_s,
        "entries": len(index.entries),
        "lookup_ms": {k: {"n": len(v), "median": median(v), "p95": percentile(v, 95)} for k, v in by_kind.items()},
        "lookup_p95_ms": p95,
        "lookup_median_ms": median(all_ms),
        "baseline_dict_p95_ms": percentile(base_ms, 95),
        "baseline_row_p95_ms": percentile(row_ms, 95),
        "target_p95_ms": TARGET_MS,
    }


def main() -> None:
    print_header("Recherche de commune : commune_lookup()")
    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-lookup-"))
    try:
        db = tmp / "lookup.sqlite3"
        copy_db(source, db)
        django_setup(f"sqlite:///{db}", tmp)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        path = write_results("commune_lookup", run())
        print(f"résultats : {path}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
