"""Benchmark: the suggested pairs of « vis mon job » (issue 13) for a département's bodies.

    .venv/bin/python benchmarks/bench_shadowing.py

On the full bundled referential (the SQLite database cached by bench_referential_load, copied): every body of the
Hérault gets an agent (so every body is « on the platform »), and the ledger gets 50,000 interactions over the last
year among them (random pairs, seed 42, hand-overs sent, accepted with a delay or refused, shared cases, messages).
Timed: `suggestions_for_body` for the Département de l'Hérault (341 communes scanned through routing) and for the
CAF de l'Hérault, cold (first call) and warm (median of 5). Baseline in the same run: `route_all` over the same
communes without looking for dependencies — the routing the suggestions cannot avoid; the ratio says what the
ledger's read and the dependency matching add on top.

Target (ours, no issue figure): a page of suggestions under 2 s for a département.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import copy_db, django_setup, median, print_header, write_results  # noqa: E402
from bench_routing import loaded_db  # noqa: E402

TARGET_S = 2.0
INTERACTIONS = 50_000


def main() -> None:
    print_header("Vis mon job : binômes suggérés")
    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-shadowing-"))
    try:
        db = tmp / "shadowing.sqlite3"
        copy_db(source, db)
        django_setup(f"sqlite:///{db}", tmp)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _seed() -> list[int]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from sanscouture.accounts.models import Membership
    from sanscouture.network.models import Interaction
    from sanscouture.network.selectors import territory_bodies, territory_parse

    bodies = list(territory_bodies(territory_parse("departement:34")).values_list("pk", flat=True))
    users = get_user_model().objects
    rng = random.Random(42)
    now = timezone.now()
    kinds = ["case_shared", "handover_sent", "handover_accepted", "handover_refused", "message"]
    with transaction.atomic():
        for pk in bodies:
            user = users.create(username=f"bench-{pk}")
            Membership.objects.create(user=user, body_id=pk)
        rows = []
        for i in range(INTERACTIONS):
            a, b = rng.sample(bodies, 2)
            kind = rng.choice(kinds)
            at = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            delay = rng.randrange(3600, 96 * 3600) if kind in ("handover_accepted", "handover_refused") else None
            rows.append(
                Interaction(
                    kind=kind, from_body_id=a, to_body_id=b, at=at, day=at.date(), source=f"b:{i}", delay_seconds=delay
                )
            )
        Interaction.objects.bulk_create(rows, batch_size=5000)
    return bodies


def run() -> None:
    from django.utils import timezone

    from sanscouture.bodies.models import Body
    from sanscouture.competences.catalogue import catalogue
    from sanscouture.competences.routing import communes_served, route_all
    from sanscouture.shadowing.selectors import suggestions_for_body

    catalogue()
    bodies = _seed()
    print(
        f"{len(bodies)} structures de l'Hérault inscrites ; {INTERACTIONS:,} interactions sur un an".replace(",", " ")
    )
    today = timezone.localdate()
    results: dict[str, object] = {"bodies": len(bodies), "interactions": INTERACTIONS}
    for key in ("departement:34", "caf:34"):
        body = Body.objects.get(key=key)
        communes = communes_served(key)[:400]
        t0 = time.perf_counter()
        for code in communes:
            route_all(commune=code, on=today)
        baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = suggestions_for_body(body=body, today=today)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(5):
            t0 = time.perf_counter()
            suggestions_for_body(body=body, today=today)
            warm.append(time.perf_counter() - t0)
        w = median(warm)
        verdict = "OK" if w < TARGET_S else "AU-DELÀ DE LA CIBLE"
        print(
            f"{key}: {len(communes)} communes, {len(found)} suggestions — à froid {cold:.2f} s, à chaud {w:.2f} s "
            f"(médiane de 5) ; référence route_all sur les mêmes communes {baseline:.2f} s, "
            f"rapport {w / baseline:.2f} — cible {TARGET_S} s : {verdict}"
        )
        results[key] = {
            "communes": len(communes),
            "suggestions": len(found),
            "cold_s": round(cold, 3),
            "warm_median_s": round(w, 3),
            "baseline_route_all_s": round(baseline, 3),
            "ratio": round(w / baseline, 2),
        }
    print(f"résultats : {write_results('shadowing', results)}")


if __name__ == "__main__":
    main()
