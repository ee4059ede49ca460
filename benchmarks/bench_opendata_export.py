"""Benchmark: the national « qui fait quoi » dataset (issue 15), all of France, CSV + Parquet.

    .venv/bin/python benchmarks/bench_opendata_export.py            # on the database cached by bench_referential_load
    .venv/bin/python benchmarks/bench_opendata_export.py --profile  # + cProfile of the export (on stderr)

Each measurement runs in its own child process on a copy of the cached national referential (SQLite), so its
time and peak resident memory (`ru_maxrss`) are its own:
- baseline (same run): `route_everywhere()` alone, consumed fully, cold (index build included);
- the export: `qui_fait_quoi_write()` (the same pass + one CSV row and one Parquet value per column per row,
  Parquet written in row groups of 1,000 communes), cold as well.
Targets (issue): under 30 s, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import copy_db, django_setup, print_header, write_results  # noqa: E402

TARGET_S, TARGET_MB = 30.0, 1024.0


def child(db: str, mode: str, profile: bool) -> None:
    tmp = Path(db).parent
    django_setup(f"sqlite:///{db}", tmp)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from sanscouture.competences.catalogue import catalogue
    from sanscouture.competences.routing import route_everywhere
    from sanscouture.opendata.services import qui_fait_quoi_write

    catalogue()  # the YAML catalogue is loaded by every process at start, outside the timing
    result: dict[str, object] = {"mode": mode}
    t = time.perf_counter()
    if mode == "baseline":
        result["routings"] = sum(1 for _ in route_everywhere())
    else:
        if profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        edition = qui_fait_quoi_write(directory=tmp / "out")
        if profile:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        result |= {
            "rows": edition.rows,
            "communes": edition.communes,
            "csv_mb": edition.csv.stat().st_size / 1e6,
            "parquet_mb": edition.parquet.stat().st_size / 1e6,
        }
    result["seconds"] = time.perf_counter() - t
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="store_true", help="cProfile de l'export")
    parser.add_argument("--child", nargs=2, metavar=("DB", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.profile)
        return
    print_header("Jeu national « qui fait quoi » : toute la France, CSV + Parquet")
    from bench_routing import loaded_db

    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-opendata-"))
    try:
        figures = {}
        for mode in ("baseline", "export"):
            (tmp / mode).mkdir()
            db = tmp / mode / "db.sqlite3"
            copy_db(source, db)
            cmd = [sys.executable, __file__, "--child", str(db), mode, *(["--profile"] if args.profile else [])]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            figures[mode] = json.loads(out.strip().splitlines()[-1])
        base, exp = figures["baseline"], figures["export"]
        print(f"référence : route_everywhere() seul  {base['seconds']:7.1f} s   pic mémoire {base['peak_mb']:6.0f} Mo")
        ok = exp["seconds"] < TARGET_S and exp["peak_mb"] < TARGET_MB
        print(
            f"export CSV + Parquet                {exp['seconds']:7.1f} s   pic mémoire {exp['peak_mb']:6.0f} Mo   "
            f"ratio {exp['seconds'] / base['seconds']:.1f}   cible < 30 s et < 1 Go : "
            f"{'OK' if ok else 'AU-DELÀ DE LA CIBLE'}"
        )
        print(
            f"  {exp['communes']:,} communes, {exp['rows']:,} lignes ({base['routings']:,} routages) ; "
            f"CSV {exp['csv_mb']:.0f} Mo, Parquet {exp['parquet_mb']:.0f} Mo"
        )
        write_results("opendata-export", {"baseline": base, "export": exp})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
