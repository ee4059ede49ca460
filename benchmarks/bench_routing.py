"""Benchmark: routing every competence for every current commune of France.

    .venv/bin/python benchmarks/bench_routing.py            # reuses the database cached by bench_referential_load
    .venv/bin/python benchmarks/bench_routing.py --profile  # + cProfile of one route_everywhere() pass

Needs a database holding the full bundled referential: the SQLite file cached under benchmarks/results/
(or /tmp/sanscouture-bench/) by bench_referential_load.py, checked against the bundled file's sha256;
if there is none, the referential is loaded first (about 10 s) and cached. The benchmark works on a copy.

What is timed (one process, SQLite):
- index build: the first `_index()` after `routing._drop_local()` (reads communes, bodies, declarations);
- `route_everywhere()` consumed fully (≈ 35,000 communes × 56 competences): cold (build included, the
  figure compared with the target), with a fresh index, and warm (answers cache filled);
- baseline in the same run: a plain Python loop over the same number of (commune, competence) pairs doing
  one dict lookup each; the ratio says how many "dict lookups" one routing costs;
- `route_all(commune=...)` per-call latency over 1,000 random communes (seed 42), median and p95.

Target (issue): route_everywhere() < 5 s.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import copy_db, django_setup, find_cached_db, median, percentile, print_header, write_results  # noqa: E402

TARGET_S = 5.0
SAMPLE = 1000


def loaded_db() -> Path:
    cached = find_cached_db()
    if cached:
        print(f"base chargée en cache : {cached}")
        return cached
    print("pas de base chargée en cache : chargement du référentiel (bench_referential_load, SQLite)…")
    from bench_referential_load import sqlite_run

    result = sqlite_run(save=True)
    print(f"  chargé en {result['load_s']:.1f} s, gardé dans {result['cached_db']}")
    return Path(str(result["cached_db"]))


def consume(iterator) -> int:  # noqa: ANN001
    n = 0
    for _ in iterator:
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="store_true", help="cProfile d'un passage route_everywhere()")
    args = parser.parse_args()

    print_header("Routage : route_everywhere() et route_all()")
    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-routing-"))
    try:
        db = tmp / "routing.sqlite3"
        copy_db(source, db)
        django_setup(f"sqlite:///{db}", tmp)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    from sanscouture.bodies.services import special_statuses
    from sanscouture.competences import routing
    from sanscouture.competences.catalogue import catalogue

    n_comp = len(catalogue().competences)  # loads the catalogue (YAML) outside the timings
    special_statuses()

    # 1. Cold: index build + one full pass, as the first call in a fresh process does.
    routing._drop_local()
    t = time.perf_counter()
    n = consume(routing.route_everywhere())
    cold_s = time.perf_counter() - t

    # 2. Index build alone.
    builds = []
    for _ in range(2):
        routing._drop_local()
        t = time.perf_counter()
        index = routing._index()
        builds.append(time.perf_counter() - t)
    build_s = min(builds)
    n_places = len(index.places)

    # 3. A pass on the index just built (its answers cache empty), then warm passes.
    t = time.perf_counter()
    consume(routing.route_everywhere())
    fresh_s = time.perf_counter() - t
    warm = []
    for _ in range(2):
        t = time.perf_counter()
        consume(routing.route_everywhere())
        warm.append(time.perf_counter() - t)
    warm_s = min(warm)

    # Baseline: the same number of (commune, competence) pairs, one dict lookup each.
    places = list(index.places.values())
    codes = list(catalogue().competences)
    by_code = {pl.insee_code: pl for pl in places}
    t = time.perf_counter()
    hits = 0
    for pl in places:
        for _code in codes:
            if by_code.get(pl.insee_code) is not None:
                hits += 1
    baseline_s = time.perf_counter() - t
    assert hits == n

    # route_all() latency per commune, index warm.
    sample = random.Random(42).sample(sorted(index.places), SAMPLE)  # noqa: S311
    routing.route_all(commune=sample[0])
    lat = []
    for code in sample:
        t = time.perf_counter()
        routing.route_all(commune=code)
        lat.append(time.perf_counter() - t)
    p50, p95 = median(lat), percentile(lat, 95)

    print(f"\n{n_places:,} communes actuelles × {n_comp} compétences = {n:,} routages")
    print(f"  construction de l'index (1er appel après _drop_local) {build_s:8.3f} s")
    print(f"  route_everywhere() à froid (index compris)             {cold_s:8.3f} s   {n / cold_s:>12,.0f} routages/s")
    print(
        f"  route_everywhere(), index neuf (cache des réponses vide) {fresh_s:6.3f} s   "
        f"{n / fresh_s:>12,.0f} routages/s"
    )
    print(f"  route_everywhere() à chaud (meilleur de 2)             {warm_s:8.3f} s   {n / warm_s:>12,.0f} routages/s")
    print(
        f"  référence : boucle Python, 1 lookup dict par couple    {baseline_s:8.3f} s   "
        f"{n / baseline_s:>12,.0f} couples/s"
    )
    print(f"  ratio route_everywhere à chaud / référence             {warm_s / baseline_s:8.1f} ×")
    print(f"  ratio route_everywhere à froid / référence             {cold_s / baseline_s:8.1f} ×")
    verdict = "OK" if cold_s < TARGET_S else "AU-DELÀ DE LA CIBLE"
    print(f"  cible < {TARGET_S:.0f} s (à froid, index compris) : {verdict}")
    print(f"\nroute_all(commune=…) sur {SAMPLE} communes au hasard (graine 42), index chaud :")
    print(
        f"  médiane {p50 * 1e6:8.0f} µs   p95 {p95 * 1e6:8.0f} µs   max {max(lat) * 1e6:8.0f} µs   "
        f"({n_comp} routages par appel)"
    )

    if args.profile:
        import cProfile
        import io
        import pstats

        routing._drop_local()
        profiler = cProfile.Profile()
        profiler.enable()
        consume(routing.route_everywhere())
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
        print("\n--- cProfile d'un passage à froid, trié par tottime ---\n" + out.getvalue())

    path = write_results(
        "routing",
        {
            "target_s": TARGET_S,
            "communes": n_places,
            "competences": n_comp,
            "routings": n,
            "index_build_s": build_s,
            "index_build_runs_s": builds,
            "cold_s": cold_s,
            "fresh_index_s": fresh_s,
            "warm_s": warm_s,
            "warm_runs_s": warm,
            "routings_per_s_cold": n / cold_s,
            "routings_per_s_warm": n / warm_s,
            "baseline_dict_loop_s": baseline_s,
            "ratio_warm_to_baseline": warm_s / baseline_s,
            "ratio_cold_to_baseline": cold_s / baseline_s,
            "route_all": {
                "sample": SAMPLE,
                "seed": 42,
                "p50_s": p50,
                "p95_s": p95,
                "max_s": max(lat),
                "mean_s": sum(lat) / len(lat),
            },
        },
    )
    print(f"\nRésultats : {path}")


if __name__ == "__main__":
    main()
