"""Benchmark: the impact computation of a declared action (issue 11).

    .venv/bin/python benchmarks/bench_impacts.py                 # SQLite + PostgreSQL if reachable
    .venv/bin/python benchmarks/bench_impacts.py --no-postgres   # SQLite only

An action (declared by the Département de l'Hérault; the declaration rule is not what is measured) over the 300
communes holding the most open cases, touching 10 competences (routes départementales, voirie communale,
transport scolaire, collèges and six social competences of the département), with 100,000 open cases in the
database (inserted in bulk by bench_cases.bulk_cases: the task sets of real « Je déménage » plans, about 12 tasks
per case). Measured, warm: `impacts_compute(action=…)` — every commune × every touched and dependent competence
through routing, the open cases of those communes with a task of the declarant or of an affected body, the
clashes — median and p95. Baseline, same run: `route_all(commune=…)` for the same 300 communes (the 56
competences of the catalogue each), and the ratio. Target (issue): p95 < 100 ms.

Each backend runs in its own subprocess (Django settings are process-global); SQLite on a copy of the cached
referential database, PostgreSQL on a fresh database `sanscouture_bench_impacts_<pid>` dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_POSTGRES, copy_db, current_commune_codes, median, percentile, print_header, write_results  # noqa: E402

MARKER = "BENCH_RESULT "
TARGET_P95_MS = 100.0
COMPETENCES = [
    "routes-departementales",
    "voirie-communale",
    "transport-scolaire",
    "colleges",
    "action-sociale-departement",
    "pmi",
    "ase",
    "apa-personnes-agees",
    "handicap-mdph",
    "fsl",
]


def stats(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": median(ms), "p95_ms": percentile(ms, 95)}


def run_one(backend: str, database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    from _common import django_setup

    django_setup(database_url, data_dir)
    from bench_cases import bulk_cases, prepare
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from sanscouture.bodies.models import Body
    from sanscouture.cases.models import Case
    from sanscouture.competences.routing import place, route_all
    from sanscouture.impacts.models import Action
    from sanscouture.impacts.selectors import affected_cases_count, impacted_bodies, impacts_compute
    from sanscouture.territories.models import Commune

    setup = prepare(backend)
    t = time.perf_counter()
    bulk = bulk_cases(args, current_commune_codes())
    setup["bulk_cases_s"] = time.perf_counter() - t
    # bench_cases closes the older cases; here every case is open (the issue: 100,000 open cases).
    Case.objects.exclude(status="open").update(status="open", closed_at=None)
    if backend == "postgres":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    user = get_user_model().objects.create_user(username="bench-impacts", password=None)
    body = Body.objects.get(key="departement:34")
    busiest = (
        Case.objects.filter(status="open").values("commune_id").annotate(n=Count("id")).order_by("-n", "commune_id")
    )
    scenarios = {
        # A département's action over its own communes: cases spread as bench_cases spreads them.
        "herault": list(Commune.objects.current().filter(departement_id="34").order_by("insee_code")[: args.communes]),
        # Stress: the communes holding the most open cases (bench_cases puts 100,000 cases in ~640 communes).
        "busiest": list(Commune.objects.filter(pk__in=[r["commune_id"] for r in busiest[: args.communes]])),
    }
    out: dict[str, object] = {
        "backend": backend,
        "setup": setup,
        "open_cases_in_db": Case.objects.filter(status="open").count(),
        "cases_inserted": bulk["cases"],
    }
    for name, communes in scenarios.items():
        action = Action.objects.create(
            body=body,
            kind="travaux_voirie",
            title=f"Bench {name}",
            start=date(2026, 9, 1),
            end=date(2026, 12, 31),
            competences=COMPETENCES[: args.competences],
            created_by=user,
        )
        action.communes.set(communes)
        codes = [c.insee_code for c in communes]
        commune_ids = [c.pk for c in communes]
        first = impacts_compute(action=action)  # warm-up: routing index, catalogue, dependencies
        body_ids = [a.body.id for a in first.bodies]
        timings, base, routing_part, cases_part = [], [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            impacts_compute(action=action)
            timings.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            impacted_bodies(body_id=body.pk, subjects=action.competences, codes=codes, on=action.start)
            routing_part.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            affected_cases_count(action=action, body_ids=body_ids, commune_ids=commune_ids)
            cases_part.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            for code in codes:
                route_all(commune=place(code), on=action.start)
            base.append((time.perf_counter() - t) * 1000)
        out[name] = {
            "communes": len(codes),
            "competences": len(action.competences),
            "affected_bodies": len(first.bodies),
            "affected_open_cases": first.open_cases,
            "impacts_compute": stats(timings),
            "part_routing": stats(routing_part),
            "part_open_cases": stats(cases_part),
            "baseline_route_all": stats(base),
        }
    return out


def child(backend: str, database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", backend, "--database-url", database_url, "--data-dir", str(data_dir)]
    cmd += ["--list-cases", str(args.list_cases), "--repeat", str(args.repeat)]
    cmd += ["--communes", str(args.communes), "--competences", str(args.competences)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if proc.stderr.strip():
        print(proc.stderr.rstrip()[-3000:], file=sys.stderr)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"{backend}: le sous-processus a échoué (code {proc.returncode})\n{proc.stdout[-3000:]}")


def sqlite_run(args: argparse.Namespace) -> dict[str, object]:
    from bench_routing import loaded_db

    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-impacts-"))
    try:
        db = tmp / "impacts.sqlite3"
        copy_db(loaded_db(), db)
        return child("sqlite", f"sqlite:///{db}", tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def postgres_run(admin_url: str, args: argparse.Namespace) -> dict[str, object] | str:
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure means: skip PostgreSQL)
        return f"PostgreSQL injoignable ({admin_url}) : {str(exc).strip().splitlines()[0]} — PostgreSQL ignoré."
    name = f"sanscouture_bench_impacts_{os.getpid()}"
    bench_url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-impacts-pg-"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return child("postgres", bench_url, tmp, args)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def show(r: dict[str, object]) -> None:
    setup = ", ".join(f"{k} {v:.1f} s" for k, v in r["setup"].items())  # type: ignore[union-attr]
    print(
        f"\n[{r['backend']}] préparation (non comptée) : {setup} ; {r['open_cases_in_db']:,} dossiers ouverts en base"
    )
    for name, label in (("herault", "300 communes de l'Hérault"), ("busiest", "300 communes les plus chargées")):
        sc = r[name]
        m, b = sc["impacts_compute"], sc["baseline_route_all"]
        print(
            f"  {label} × {sc['competences']} compétences → {sc['affected_bodies']} structures concernées, "
            f"{sc['affected_open_cases']:,} dossiers touchés"
        )
        ok = "OK" if m["p95_ms"] < TARGET_P95_MS else "AU-DELÀ DE LA CIBLE"
        print(
            f"    impacts_compute   médiane {m['p50_ms']:7.1f} ms   p95 {m['p95_ms']:7.1f} ms   (n={m['n']})   "
            f"cible p95 < 100 ms : {ok}"
        )
        print(
            f"      dont routage (structures) médiane {sc['part_routing']['p50_ms']:.1f} ms, "
            f"dossiers ouverts (comptage) médiane {sc['part_open_cases']['p50_ms']:.1f} ms"
        )
        print(
            f"    référence route_all × {sc['communes']} communes : médiane {b['p50_ms']:7.1f} ms   "
            f"p95 {b['p95_ms']:7.1f} ms   → impacts ÷ route_all : {m['p50_ms'] / b['p50_ms']:.2f} × (médianes)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serveur PostgreSQL (base d'administration) à utiliser")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite seulement")
    parser.add_argument("--list-cases", type=int, default=100_000, help="dossiers ouverts insérés en bulk")
    parser.add_argument("--repeat", type=int, default=30, help="mesures de impacts_compute")
    parser.add_argument("--communes", type=int, default=300)
    parser.add_argument("--competences", type=int, default=10)
    parser.add_argument("--one", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # bench_cases.bulk_cases reads these options.
    args.busy_share, args.chunk, args.task_insert, args.sample_communes = 0.025, 2000, "copy", 600
    if args.one:
        print(MARKER + json.dumps(run_one(args.one, args.database_url, Path(args.data_dir), args), default=str))
        return
    print_header("Responsabilité collective : calcul des effets d'une action")
    results: dict[str, object] = {"sqlite": sqlite_run(args)}
    show(results["sqlite"])  # type: ignore[arg-type]
    if not args.no_postgres:
        pg = postgres_run(args.postgres or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES, args)
        results["postgres"] = pg
        if isinstance(pg, str):
            print(pg)
        else:
            show(pg)
    print(f"\nrésultats : {write_results('impacts', results)}")


if __name__ == "__main__":
    main()
