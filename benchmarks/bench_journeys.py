"""Benchmark: journey computation in process, over every life event × sampled answers × sampled communes.

    .venv/bin/python benchmarks/bench_journeys.py [--communes 200] [--answers 8]

Works on a copy of the referential database cached by bench_referential_load.py (loaded first if absent),
plus the bundled service-public.fr catalogue. For each of the 25 life events, `--answers` random valid answer
sets (one choice per question, seed 42; life events without questionnaire: no choice) and `--communes`
random current communes: `journey_compute()` is timed call by call (warm: one untimed pass first).
Baseline in the same run: `route_all()` for the same communes (every competence of one commune).
The first call of each life event in the process (its catalogue rows and compiled conditions not yet kept; the
routing index already built) is timed apart, before the warm pass.
Targets: issue 3, p95 under 10 ms; issue 16, p95 ≤ 2 ms and first call of a life event ≤ 20 ms.
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
from _common import copy_db, current_commune_codes, django_setup, median, percentile, print_header, write_results  # noqa: E402
from bench_routing import loaded_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communes", type=int, default=200)
    parser.add_argument("--answers", type=int, default=8)
    parser.add_argument("--profile-first", action="store_true", help="cProfile of the first calls (stderr)")
    args = parser.parse_args()
    print_header("Parcours : journey_compute()")
    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-journeys-"))
    try:
        db = tmp / "journeys.sqlite3"
        copy_db(source, db)
        django_setup(f"sqlite:///{db}", tmp)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from sanscouture.catalogue.importers import catalogue_load_bundled

        catalogue_load_bundled()
        run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from sanscouture.catalogue.selectors import life_events
    from sanscouture.competences.routing import route_all
    from sanscouture.journeys.selectors import journey_compute

    rng = random.Random(42)
    communes = rng.sample(current_commune_codes(), args.communes)
    cases = []
    for event in life_events():
        for _ in range(args.answers if event.questionnaire else 1):
            choices = [rng.choice(q["choices"])["id"] for q in event.questionnaire]
            cases += [(event.slug, choices, code) for code in rng.sample(communes, max(1, args.communes // 10))]
    route_all(commune=communes[0])  # the routing index: built once per process, not a journey's cost
    # First call of each life event in this process (nothing of it kept yet): what a worker pays once per event.
    first: dict[str, float] = {}
    profiler = None
    if args.profile_first:
        import cProfile

        profiler = cProfile.Profile()
    for slug, choices, code in cases:
        if slug not in first:
            t = time.perf_counter()
            if profiler:
                profiler.enable()
            journey_compute(life_event=slug, choices=choices, commune=code)
            if profiler:
                profiler.disable()
            first[slug] = (time.perf_counter() - t) * 1000
    if profiler:
        import io
        import pstats

        for sort in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(30)
            print(out.getvalue(), file=sys.stderr)
    # The same first calls in a worker of `sanscouture serve`, which reads every life event before forking
    # (journeys_warm): the memo dropped, the warm-up timed, then each life event's first call with its answers.
    from sanscouture.catalogue.selectors import _drop_memo
    from sanscouture.journeys import selectors

    warm_s = float("nan")
    first_served: dict[str, float] = {}
    if hasattr(selectors, "journeys_warm"):  # absent from code older than issue 16 (comparison runs)
        _drop_memo()
        t = time.perf_counter()
        selectors.journeys_warm()
        warm_s = time.perf_counter() - t
    for slug, choices, code in reversed(cases):  # other answers and communes than the cold pass's
        if slug not in first_served and warm_s == warm_s:
            t = time.perf_counter()
            journey_compute(life_event=slug, choices=choices, commune=code)
            first_served[slug] = (time.perf_counter() - t) * 1000
    for slug, choices, code in cases[:200]:  # warm-up: catalogue rows, routing index
        journey_compute(life_event=slug, choices=choices, commune=code)
    timings = []
    for slug, choices, code in cases:
        t = time.perf_counter()
        journey_compute(life_event=slug, choices=choices, commune=code)
        timings.append((time.perf_counter() - t) * 1000)
    baseline = []
    for code in communes:
        t = time.perf_counter()
        route_all(commune=code)
        baseline.append((time.perf_counter() - t) * 1000)
    p50, p95 = median(timings), percentile(timings, 95)
    print(f"{len(cases)} parcours ({len(set(c[0] for c in cases))} moments de vie, {len(communes)} communes)")
    print(
        f"journey_compute   médiane {p50:6.2f} ms   p95 {p95:6.2f} ms   max {max(timings):6.2f} ms   "
        f"cible p95 < 10 ms : {'OK' if p95 < 10 else 'AU-DELÀ DE LA CIBLE'}"
    )
    firsts = sorted(first.values())
    slowest = max(first, key=first.get)
    print(
        f"premier appel     médiane {median(firsts):6.2f} ms   max {firsts[-1]:6.2f} ms ({slowest})   "
        f"cible ≤ 20 ms : {'OK' if firsts[-1] <= 20 else 'AU-DELÀ DE LA CIBLE'}"
    )
    served = sorted(first_served.values()) or [float("nan")]
    print(
        f"premier appel après journeys_warm() ({warm_s:.2f} s, comme `serve` avant de lancer ses workers) : "
        f"médiane {median(served):6.2f} ms   max {served[-1]:6.2f} ms   "
        f"cible ≤ 20 ms : {'OK' if served[-1] <= 20 else 'AU-DELÀ DE LA CIBLE'}"
    )
    print(f"route_all (base)  médiane {median(baseline):6.2f} ms   ratio médianes {p50 / median(baseline):.1f}")
    write_results(
        "journeys",
        {
            "cases": len(cases),
            "p50_ms": p50,
            "p95_ms": p95,
            "max_ms": max(timings),
            "route_all_p50_ms": median(baseline),
            "first_call_ms": first,
            "first_call_p50_ms": median(firsts),
            "first_call_max_ms": firsts[-1],
            "journeys_warm_s": warm_s,
            "first_call_served_ms": first_served,
            "first_call_served_p50_ms": median(served),
            "first_call_served_max_ms": served[-1],
        },
    )


if __name__ == "__main__":
    main()
