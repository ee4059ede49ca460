"""Benchmark: load the whole bundled national referential into an EMPTY database.

    .venv/bin/python benchmarks/bench_referential_load.py                 # SQLite + PostgreSQL if reachable
    .venv/bin/python benchmarks/bench_referential_load.py --no-postgres   # SQLite only
    .venv/bin/python benchmarks/bench_referential_load.py --postgres postgres://user@host:5432/postgres
    .venv/bin/python benchmarks/bench_referential_load.py --profile       # + a cProfile of the SQLite load
    .venv/bin/python benchmarks/bench_referential_load.py --avant /chemin/vers/ancien/src   # before/after, same run

What is timed: `sanscouture.competences.services.referential_load()` with the default bundled file
(34,969 current communes, their delegated/associated communes and arrondissements, 1,255 EPCI, 11 EPT,
postcodes, former codes, then the derived public bodies), in one transaction, commit included.
`migrate` runs before and is reported but not counted.

Baseline, measured in the same process: `read_source()` alone (gunzip + JSON parse of the bundled file),
which `referential_load()` also does first. The ratio load / parse says how many "parses" the load costs.

Each backend runs in its own subprocess (`--one sqlite|postgres`), because Django settings are
process-global: DATABASE_URL and SANSCOUTURE_DATA_DIR are set before django.setup().
PostgreSQL: a fresh database `sanscouture_bench_<pid>` is created on the server given by --postgres or
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.

`--avant SRC`: the same loads, first with the code of another checkout (its `src/`, e.g. a `git worktree` of the
commit before a change), interleaved with this one's on each backend: before/after in the same run.

Targets: < 30 s on SQLite (issue 2); ≤ 3 s on both databases (issue 16, item 4).
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_POSTGRES, RESULTS, print_header, save_cache, write_results  # noqa: E402

TARGET_SQLITE_S = 30.0
TARGET_S = 3.0  # issue 16, item 4: both databases
MARKER = "BENCH_RESULT "


# --------------------------------------------------------------------------- child: one backend, one process
def run_one(backend: str, database_url: str, data_dir: Path, *, profile: bool, save: bool) -> dict[str, object]:
    from _common import django_setup

    django_setup(database_url, data_dir)
    from django.core.management import call_command
    from django.db import connection

    from sanscouture.bodies.models import Body
    from sanscouture.competences import services
    from sanscouture.territories.importers import read_source
    from sanscouture.territories.models import Commune, CommuneKind

    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - t
    if Commune.objects.exists():
        raise SystemExit("la base n'est pas vide : ce banc mesure un chargement dans une base vide")

    # Baseline: read + parse the bundled file, as referential_load() does first. Best of 3 (warm page cache).
    parse_runs = []
    for _ in range(3):
        t = time.perf_counter()
        data, _version = read_source()
        parse_runs.append(time.perf_counter() - t)
    records = {name: len(rows) for name, rows in data.items()}
    del data

    # Phase breakdown: wrap the functions referential_load() calls (in this process only), and use the
    # progress callback to timestamp the import steps.
    phases: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    for name in ("read_source", "referential_import", "bodies_sync", "routing_index_invalidate"):
        setattr(services, name, timed(name, getattr(services, name)))
    steps: list[tuple[str, int, int, float]] = []

    def progress(label: str, done: int, total: int) -> None:
        steps.append((label, done, total, time.perf_counter()))

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t_start = time.perf_counter()
    report = services.referential_load(progress=progress)
    load_s = time.perf_counter() - t_start
    if profiler:
        profiler.disable()

    # Import steps as durations since the previous timestamp (first one: since referential_import started).
    step_s: list[dict[str, object]] = []
    prev = t_start + phases.get("read_source", 0.0)
    for label, done, total, at in steps:
        step_s.append({"step": f"{label} {done}/{total}", "seconds": round(at - prev, 3)})
        prev = at
    import_end = t_start + phases.get("read_source", 0.0) + phases.get("referential_import", 0.0)
    if steps:
        step_s.append({"step": "codes postaux, anciens codes", "seconds": round(import_end - prev, 3)})
    accounted = sum(phases.values())
    result = {
        "backend": backend,
        "vendor": connection.vendor,
        "migrate_s": migrate_s,
        "parse_s": min(parse_runs),
        "parse_runs_s": parse_runs,
        "load_s": load_s,
        "ratio_load_to_parse": load_s / min(parse_runs),
        "phases_s": phases,
        "commit_and_rest_s": load_s - accounted,
        "import_steps": step_s,
        "records_in_file": records,
        "current_communes": Commune.objects.filter(kind=CommuneKind.CURRENT).count(),
        "all_communes": Commune.objects.count(),
        "bodies": Body.objects.count(),
        "changes": report.territories.changes,
        "profiled": profile,
        "code": str(Path(services.__file__).resolve().parents[2]),  # which checkout's src was measured
    }
    if profiler:
        import io
        import pstats

        RESULTS.mkdir(parents=True, exist_ok=True)
        prof_path = RESULTS / f"referential_load-{backend}.prof"
        profiler.dump_stats(prof_path)
        for sort in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(25)
            print(f"\n--- cProfile ({backend}), trié par {sort} — {prof_path} ---", file=sys.stderr)
            print(out.getvalue(), file=sys.stderr)
    if save and backend == "sqlite":
        connection.close()
        db = Path(urlsplit(database_url).path)
        result["cached_db"] = str(save_cache(db))
    return result


# --------------------------------------------------------------------------- parent: orchestration, report
def child(
    backend: str,
    database_url: str,
    data_dir: Path,
    *,
    profile: bool = False,
    save: bool = False,
    src: Path | None = None,
) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", backend, "--database-url", database_url, "--data-dir", str(data_dir)]
    if profile:
        cmd.append("--profile")
    if save:
        cmd.append("--save-cache")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if src:  # another checkout's code, found before the installed one
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"{backend}: le sous-processus a échoué (code {proc.returncode})\n{proc.stdout[-3000:]}")


def sqlite_run(*, profile: bool = False, save: bool = True, src: Path | None = None) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-load-"))
    try:
        return child("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", tmp, profile=profile, save=save, src=src)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def postgres_run(admin_url: str, *, src: Path | None = None) -> dict[str, object] | str:
    """A fresh database on the server of `admin_url`, dropped afterwards. Returns a message if unreachable."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure means: skip PostgreSQL)
        return f"PostgreSQL injoignable ({admin_url}) : {str(exc).strip().splitlines()[0]} — PostgreSQL ignoré."
    parts = urlsplit(admin_url)
    name = f"sanscouture_bench_{os.getpid()}"
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-load-pg-"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return child("postgres", bench_url, tmp, src=src)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def show(r: dict[str, object]) -> None:
    print(
        f"\n[{r['backend']}] {r['current_communes']:,} communes actuelles ({r['all_communes']:,} en tout), "
        f"{r['bodies']:,} structures"
    )
    print(f"  migrate (non compté)            {r['migrate_s']:8.2f} s")
    print(f"  référence read_source()         {r['parse_s']:8.2f} s   (lecture + gunzip + JSON, meilleur de 3)")
    print(f"  referential_load()              {r['load_s']:8.2f} s   = {r['ratio_load_to_parse']:.1f} × la référence")
    print("  répartition :")
    for name, sec in r["phases_s"].items():  # type: ignore[union-attr]
        print(f"    {name:<28}  {sec:8.2f} s  {100 * sec / r['load_s']:5.1f} %")
    print(
        f"    {'commit + reste':<28}  {r['commit_and_rest_s']:8.2f} s  "
        f"{100 * r['commit_and_rest_s'] / r['load_s']:5.1f} %"
    )
    print("  étapes de l'import (durée depuis l'étape précédente) :")
    for step in r["import_steps"]:  # type: ignore[union-attr]
        print(f"    {step['step']:<28}  {step['seconds']:8.2f} s")


def _compare(before: dict[str, object], after: dict[str, object]) -> None:
    b, a = before["load_s"], after["load_s"]
    print(
        f"  avant → après : {b:.2f} s → {a:.2f} s ({b / a:.1f} × plus rapide) ; "  # type: ignore[operator]
        f"en « lectures » du fichier : {before['ratio_load_to_parse']:.1f} → {after['ratio_load_to_parse']:.1f} ; "
        f"cible ≤ {TARGET_S:.0f} s : {'OK' if a <= TARGET_S else f'à {a - TARGET_S:.2f} s de la cible'}"  # type: ignore[operator]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serveur PostgreSQL (base d'administration) à utiliser")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite seulement")
    parser.add_argument("--profile", action="store_true", help="en plus : un chargement SQLite sous cProfile")
    parser.add_argument("--avant", type=Path, metavar="SRC", help="mesurer aussi le code du dossier src/ donné (avant)")
    parser.add_argument("--one", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--save-cache", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        result = run_one(args.one, args.database_url, Path(args.data_dir), profile=args.profile, save=args.save_cache)
        print(MARKER + json.dumps(result, default=str))
        return

    print_header("Chargement du référentiel national embarqué dans une base vide")
    results: dict[str, object] = {}
    if args.avant:
        before = sqlite_run(save=False, src=args.avant)
        results["sqlite_avant"] = before
        print(f"\nAVANT (code de {before['code']}) :")
        show(before)
        print("\nAPRÈS (ce code) :")
    sqlite = sqlite_run(save=True)
    results["sqlite"] = sqlite
    show(sqlite)
    if args.avant:
        _compare(results["sqlite_avant"], sqlite)  # type: ignore[arg-type]
    print(
        f"  cible < {TARGET_SQLITE_S:.0f} s sur SQLite : "
        f"{'OK' if sqlite['load_s'] < TARGET_SQLITE_S else 'AU-DELÀ DE LA CIBLE'}"
    )
    if sqlite.get("cached_db"):
        print(f"  (base chargée gardée pour bench_routing / bench_http : {sqlite['cached_db']})")

    if not args.no_postgres:
        url = args.postgres or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
        pg_before = postgres_run(url, src=args.avant) if args.avant else None
        if isinstance(pg_before, dict):
            results["postgres_avant"] = pg_before
            print(f"\nAVANT (code de {pg_before['code']}) :")
            show(pg_before)
            print("\nAPRÈS (ce code) :")
        pg = postgres_run(url)
        if isinstance(pg, str):
            print("\n" + pg)
            results["postgres"] = {"skipped": pg}
        else:
            results["postgres"] = pg
            show(pg)
            print(f"  PostgreSQL / SQLite : {pg['load_s'] / sqlite['load_s']:.2f} ×")
            if isinstance(pg_before, dict):
                _compare(pg_before, pg)

    if args.profile:
        print("\nProfil cProfile d'un chargement SQLite supplémentaire (plus lent que la mesure ci-dessus) :")
        prof = sqlite_run(profile=True, save=False)
        results["sqlite_profiled"] = prof

    path = write_results("referential_load", {"target_sqlite_s": TARGET_SQLITE_S, **results})
    print(f"\nRésultats : {path}")


if __name__ == "__main__":
    main()
