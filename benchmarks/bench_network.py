"""Benchmark: the acteur-réseau figures (issue 12) at 1,000,000 interactions across 5,000 bodies.

    .venv/bin/python benchmarks/bench_network.py                  # SQLite, 1,000,000 interactions, 5,000 bodies
    .venv/bin/python benchmarks/bench_network.py --interactions 200000 --bodies 1000   # a quicker run

1. Setup (not timed against a target): a fresh SQLite database (migrated), the real Hérault (région 76,
   département 34) as the territory, 5,000 bodies anchored in it (kinds in realistic proportions: 80 % mairies,
   then EPCI, CAF, CPAM, MDPH, offices…), each with 8–40 habitual partners (more for the big ones: CAF, CPAM,
   Département). 1,000,000 ledger rows over the last 12 months (seed 42): cases worked together (50 %), hand-overs
   sent (20 %) and decided (accepted 14 %, refused 6 %, with delays of 1 to 120 hours), messages (10 %).
   Inserted in bulk, as `interactions_sync` would have written them.
2. Full computation: the monthly aggregate is first built from the whole ledger (`interactions_fold()`, once, as
   after the migration; timed and shown), then `network_of_territory()` for the département over the year, run
   in a child process on the prepared database: seconds (median of 3) and peak resident memory above the
   process's resting size (`ru_maxrss`). Breakdown: reading the period (aggregate for its whole months, ledger
   rows for its partial ones: `_facts` + `_ledger`), then the graph measures.
3. Incremental update after 1,000 new interactions: 1,000 new hand-overs (real Case/Task/Handover rows) are read
   by `interactions_sync()`, which also folds them into the monthly aggregate (timed: the target), then the
   figures are computed again (timed, shown beside): the product recomputes the figures of the period from the
   monthly aggregate on request, it keeps no figure between requests.
4. The network page of the département (`GET /reseau/?territoire=departement:34`, Django test client, an agent
   with a verified session): render time, median of 3.
Baseline, same run: `SELECT COUNT(*)` of the period's ledger rows of the territory (the cheapest read of the same
rows), and the aggregation alone.

Targets (issue): full computation < 10 s, incremental update < 1 s. Printed OK / AU-DELÀ DE LA CIBLE; never fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import django_setup, print_header, write_results  # noqa: E402

KINDS = [
    ("case_shared", 0.50),
    ("handover_sent", 0.20),
    ("handover_accepted", 0.14),
    ("handover_refused", 0.06),
    ("message", 0.10),
]
BODY_KINDS = [
    ("mairie", 0.80),
    ("epci", 0.04),
    ("office", 0.10),
    ("caf", 0.01),
    ("cpam", 0.01),
    ("mdph", 0.01),
    ("prefecture", 0.01),
    ("departement", 0.01),
    ("secours", 0.01),
]


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(n_interactions: int, n_bodies: int) -> dict[str, float]:
    from django.db import connection, transaction
    from django.utils import timezone

    from sanscouture.bodies.models import Body
    from sanscouture.network.models import Interaction
    from sanscouture.territories.models import Departement, Region

    rng = random.Random(42)
    region, _ = Region.objects.get_or_create(code="76", defaults={"name": "Occitanie"})
    Departement.objects.get_or_create(code="34", defaults={"name": "Hérault", "region": region})
    kinds = rng.choices([k for k, _ in BODY_KINDS], weights=[w for _, w in BODY_KINDS], k=n_bodies)
    Body.objects.bulk_create(
        [Body(key=f"bench:{i}", kind=kind, name=f"Structure {i}", departement_id="34") for i, kind in enumerate(kinds)],
        batch_size=2000,
    )
    ids = list(Body.objects.filter(key__startswith="bench:").values_list("pk", "kind"))
    big = [pk for pk, kind in ids if kind in ("caf", "cpam", "departement", "prefecture")]
    partners: dict[int, list[int]] = {}
    all_ids = [pk for pk, _ in ids]
    for pk, kind in ids:
        n = 40 if kind in ("caf", "cpam", "departement") else rng.randint(8, 20)
        chosen = set(rng.sample(all_ids, n)) | set(rng.sample(big, min(3, len(big))))
        chosen.discard(pk)
        partners[pk] = list(chosen)
    weights = [5 if kind in ("caf", "cpam", "departement") else 1 for _, kind in ids]
    now = timezone.now()
    started = time.perf_counter()
    kind_names, kind_weights = [k for k, _ in KINDS], [w for _, w in KINDS]
    batch = []
    with transaction.atomic():
        for i in range(n_interactions):
            a = rng.choices(all_ids, weights=weights)[0] if i % 4 == 0 else all_ids[i % len(all_ids)]
            b = rng.choice(partners[a])
            kind = rng.choices(kind_names, weights=kind_weights)[0]
            at = now - timedelta(seconds=rng.randint(0, 360 * 86400))
            delay = rng.randint(3600, 120 * 3600) if kind in ("handover_accepted", "handover_refused") else None
            batch.append(
                Interaction(
                    kind=kind,
                    from_body_id=a,
                    to_body_id=b,
                    at=at,
                    day=at.date(),
                    delay_seconds=delay,
                    source=f"bench:{i}",
                )
            )
            if len(batch) == 5000:
                Interaction.objects.bulk_create(batch)
                batch = []
        if batch:
            Interaction.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"insertion_s": round(time.perf_counter() - started, 1)}


def _timed(fn, repeat: int = 3) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def measure_full() -> dict[str, object]:
    """In a child process: rest size, then full computation time and peak memory, and the breakdown."""
    from django.db.models import Q

    from sanscouture.network import selectors
    from sanscouture.network.models import Interaction, InteractionMonth
    from sanscouture.network.services import interactions_fold

    territory = selectors.territory_parse("departement:34")
    today = date.today()
    period = selectors.Period(today - timedelta(days=365), today)
    inside = list(selectors.territory_bodies(territory).values_list("pk", flat=True))
    where = Q(from_body_id__in=inside) | Q(to_body_id__in=inside)
    rows = Interaction.objects.between(period.start, period.end).filter(where)
    # The monthly aggregate is built once from the whole ledger (what `reseau-sync` does after the migration).
    t = time.perf_counter()
    folded = interactions_fold()
    fold_s = time.perf_counter() - t
    rest = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count_s, count = _timed(lambda: rows.count())
    first, after = selectors._whole_months(period)
    months = InteractionMonth.objects.filter(where, month__gte=first, month__lt=after).count()
    agg_s, ledger = _timed(
        lambda: selectors._ledger(f for f in selectors._facts(period, where, ("a", "b")) if f[3] != f[4])
    )
    full_s, graph = _timed(lambda: selectors.network_of_territory(territory=territory, period=period))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows_in_period": count,
        "folded": folded,
        "fold_s": round(fold_s, 1),
        "aggregate_rows_whole_months": months,
        "baseline_count_s": round(count_s, 3),
        "aggregation_s": round(agg_s, 3),
        "pairs": len({(a, b) for a, b, _ in ledger.counts}),
        "full_s": round(full_s, 3),
        "nodes": len(graph.nodes),
        "links": len(graph.links),
        "peak_memory_above_rest_mb": round((peak - rest) / 1024, 1),
    }


def measure_incremental() -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sanscouture.bodies.models import Body
    from sanscouture.cases.models import Case, Handover, Task
    from sanscouture.network import selectors
    from sanscouture.network.services import interactions_sync
    from sanscouture.territories.models import Commune, Departement, Region

    rng = random.Random(7)
    interactions_sync()  # the cursor at now: the next run reads only what follows
    user = get_user_model().objects.create(username="bench-agent")
    commune = Commune.objects.create(
        insee_code="34274",
        kind="current",
        zone="metro",
        name="Saint-Martin-de-Londres",
        departement=Departement.objects.get(code="34"),
        region=Region.objects.get(code="76"),
    )
    bodies = list(Body.objects.filter(key__startswith="bench:").values_list("pk", flat=True)[:500])
    cases = Case.objects.bulk_create(
        [
            Case(life_event="F1", life_event_title="Bench", commune=commune, person_token_hash=f"bench-{i}")
            for i in range(250)
        ]
    )
    tasks = Task.objects.bulk_create(
        [
            Task(
                case=cases[i % 250],
                body_id=rng.choice(bodies),
                pivot="mairie",
                title="t",
                expected_action="a",
                due_date=date.today(),
            )
            for i in range(1000)
        ]
    )
    now = timezone.now()
    Handover.objects.bulk_create(
        [
            Handover(
                task=t,
                from_body_id=t.body_id,
                to_body_id=rng.choice([b for b in bodies if b != t.body_id][:50]),
                reason="bench",
                created_by=user,
                created_at=now,
            )
            for t in tasks
        ]
    )
    t0 = time.perf_counter()
    added = interactions_sync()
    sync_s = time.perf_counter() - t0
    territory = selectors.territory_parse("departement:34")
    today = date.today()
    period = selectors.Period(today - timedelta(days=365), today)
    t0 = time.perf_counter()
    selectors.network_of_territory(territory=territory, period=period)
    recompute_s = time.perf_counter() - t0
    return {
        "added": added,
        "sync_s": round(sync_s, 3),
        "recompute_s": round(recompute_s, 3),
        "incremental_total_s": round(sync_s + recompute_s, 3),
    }


def measure_page() -> dict[str, object]:
    from django.test import Client

    from sanscouture.accounts.services import agent_create
    from sanscouture.accounts.testing import login_verified
    from sanscouture.bodies.models import Body

    user, _ = agent_create(
        username="bench-page",
        password="motdepasse-solide-42",  # noqa: S106 (a benchmark agent)
        body=Body.objects.filter(key__startswith="bench:", kind="caf").first(),
        role="agent",
    )
    client = Client(HTTP_HOST="localhost")
    login_verified(client, user)
    url = "/reseau/?territoire=departement:34"
    render_s, response = _timed(lambda: client.get(url), repeat=1)
    return {"page_s": round(render_s, 3), "status": response.status_code, "bytes": len(response.content)}


def child(step: str, db: str, data_dir: str) -> None:
    django_setup(f"sqlite:///{db}", Path(data_dir))
    if step == "prepare":
        _migrate()
        result = prepare(int(os.environ["BENCH_N"]), int(os.environ["BENCH_BODIES"]))
    elif step == "migrate":
        _migrate()
        result = {}
    else:
        result = {"full": measure_full, "incremental": measure_incremental, "page": measure_page}[step]()
    print("RESULT " + json.dumps(result, default=str))


def run_child(step: str, db: str, data_dir: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, db, data_dir], env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--bodies", type=int, default=5_000)
    parser.add_argument("--garder", metavar="DOSSIER", help="Garder la base préparée dans ce dossier et la réutiliser")
    parser.add_argument("--child", nargs=3, metavar=("STEP", "DB", "DATA_DIR"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print_header(f"Acteur-réseau : {args.interactions:,} interactions, {args.bodies:,} structures (SQLite)")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "network.sqlite3")
        env = {
            **os.environ,
            "BENCH_N": str(args.interactions),
            "BENCH_BODIES": str(args.bodies),
            "SANSCOUTURE_DATA_DIR": tmp,
        }
        kept = Path(args.garder) / f"network-{args.interactions}-{args.bodies}.sqlite3" if args.garder else None
        if kept and kept.exists():
            shutil.copy(kept, db)
            run_child("migrate", db, tmp, env)
            prepared = {"insertion_s": None, "reused": str(kept)}
            print(f"préparation : base réutilisée ({kept})")
        else:
            prepared = run_child("prepare", db, tmp, env)
            print(f"préparation : {prepared['insertion_s']} s d'insertion")
            if kept:
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(db, kept)
        full = run_child("full", db, tmp, env)
        verdict = "OK" if full["full_s"] < 10 else "AU-DELÀ DE LA CIBLE"
        print(
            f"calcul complet : {full['full_s']} s ({full['nodes']} structures, {full['links']} liens, "
            f"{full['rows_in_period']:,} interactions) — cible < 10 s : {verdict}"
        )
        print(
            f"  dont agrégation SQL du registre : {full['aggregation_s']} s ; "
            f"référence COUNT(*) des mêmes lignes : {full['baseline_count_s']} s"
        )
        print(f"  mémoire de pointe au-dessus du repos : {full['peak_memory_above_rest_mb']} Mo")
        if "fold_s" in full:
            print(
                f"  agrégat mensuel constitué une fois (après la migration) : {full['fold_s']} s pour "
                f"{full['folded']:,} lignes ; {full['aggregate_rows_whole_months']:,} lignes d'agrégat sur les mois "
                f"entiers de la période"
            )
        incremental = run_child("incremental", db, tmp, env)
        verdict = "OK" if incremental["sync_s"] < 1 else "AU-DELÀ DE LA CIBLE"
        print(
            f"mise à jour après 1 000 nouvelles orientations : registre et agrégat {incremental['sync_s']} s "
            f"({incremental['added']} interactions) — cible < 1 s : {verdict} ; figures recalculées à la demande "
            f"{incremental['recompute_s']} s (total {incremental['incremental_total_s']} s)"
        )
        page = run_child("page", db, tmp, env)
        print(f"page du département : {page['page_s']} s (HTTP {page['status']}, {page['bytes']:,} octets)")
        path = write_results(
            "network",
            {
                "interactions": args.interactions,
                "bodies": args.bodies,
                "prepare": prepared,
                "full": full,
                "incremental": incremental,
                "page": page,
            },
        )
        print(f"résultats : {path}")


if __name__ == "__main__":
    main()
