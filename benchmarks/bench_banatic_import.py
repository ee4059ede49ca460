"""Benchmark: `banatic_import()` of a national-size BANATIC export (XLSX), time and peak memory.

    .venv/bin/python benchmarks/bench_banatic_import.py [--rows 140000] [--keep]

The real national export (~140,000 rows × ~120 columns, ~75 MB) is not reachable here: this script BUILDS one of
the same shape by repeating the real rows of tests/fixtures/banatic/ (the two syndicats of the current-export
fixture, see its README for what is published and what is not), each copy with a new SIREN (prefix 999, no real
groupement) and moved to a block of real current communes (their SIREN from the bundled referential), plus one
row per (EPCI à fiscalité propre, member commune) of the bundled referential with the flags of the first real row.
Columns: the documented ones, the competence columns the mapping knows (codes 4020/5500/5510 as in the fixture,
others numbered 6000+ here: the mapping matches them by libellé) and filler columns up to 120.

The import runs in a child process on a copy of the cached referential database (bench_referential_load.py), so
its peak resident memory (`ru_maxrss`) is its own. Baseline in the same run: `read_export()` alone (the streamed
XML reader checking the same file, no database). Target: peak memory under 500 MB (as for the Annuaire).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import ROOT, bundled_file, django_setup, print_header, run_children, write_results  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "banatic"
COLUMNS = 120


def build(target: Path, rows_wanted: int) -> tuple[int, int]:
    """Write the national-size XLSX; returns (rows, groupements)."""
    import yaml
    from tests.fixtures.banatic.build import write_xlsx

    from sanscouture.competences.banatic import xlsx_rows

    real = list(xlsx_rows(FIXTURES / "banatic-france-extrait.xlsx"))
    header, real_rows = [str(v) for v in real[0]], [[str(v) for v in r] for r in real[1:]]
    known = {h.split(" - ", 1)[1] for h in header if " - " in h}
    labels = [
        item["label"]
        for item in yaml.safe_load((ROOT / "src/sanscouture/competences/data/banatic.yaml").read_text())["new"]
    ]
    extra = [f"{6000 + i} - {label}" for i, label in enumerate(labels) if label not in known]
    fillers = [f"Colonne {i}" for i in range(COLUMNS - len(header) - len(extra))]
    full_header = header + extra + fillers
    pad = ["NON"] * len(extra) + [f"valeur {i % 7}" for i in range(len(fillers))]
    # Filled like the real export's other columns (dates, modes, addresses…), so that reading costs what it costs.
    extra_flags = ["NON"] * len(extra) + [f"valeur {i % 7}" for i in range(len(fillers))]

    bundle = json.loads(gzip.decompress(bundled_file().read_bytes()))
    communes = [c for c in bundle["files"]["communes"] if c.get("type") == "commune-actuelle" and c.get("siren")]
    epcis = {e["code"]: e for e in bundle["files"]["epci"]}
    by_epci: dict[str, list[dict]] = {}
    for c in communes:
        if c.get("epci") in epcis:
            by_epci.setdefault(c["epci"], []).append(c)

    def rows():  # noqa: ANN202
        yield full_header
        n = 0
        model = real_rows[0]
        for siren, members in by_epci.items():
            e = epcis[siren]
            for c in members:
                n += 1
                row = list(model)
                row[0] = c["departement"]
                row[1], row[2], row[3] = siren, e["nom"], e.get("type") or "CC"
                row[7], row[8], row[9] = str(len(members)), c["siren"], c["nom"]
                yield row + extra_flags
        copy = 0
        i = 0
        groups = [[r for r in real_rows if r[1] == s] for s in dict.fromkeys(r[1] for r in real_rows)]
        while n < rows_wanted:
            group = groups[copy % len(groups)]
            siren = f"999{copy:06d}"
            for r in group:
                c = communes[i % len(communes)]
                i += 1
                row = list(r)
                row[1], row[2] = siren, f"{r[2]} — copie {copy}"
                row[8], row[9] = c["siren"], c["nom"]
                n += 1
                yield row + pad
            copy += 1
        rows.groupements = len(by_epci) + copy  # type: ignore[attr-defined]
        rows.count = n  # type: ignore[attr-defined]

    write_xlsx(target, rows())
    return rows.count, rows.groupements  # type: ignore[attr-defined]


def child(db: str, path: str, mode: str) -> None:
    """Run in a child process: the import (or the read-only baseline); print time and peak memory as JSON."""
    from datetime import date

    tmp = Path(db).parent
    django_setup(f"sqlite:///{db}", tmp)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # the cached referential may predate a migration
    t = time.perf_counter()
    if mode == "parse":
        from sanscouture.competences.banatic import read_export

        export = read_export(Path(path))
        result = {"rows": export.rows, "groupements": len(export.groupements)}
    else:
        from sanscouture.competences.services import banatic_import

        report = banatic_import(path=Path(path), export_date=date(2025, 3, 12))
        result = {
            "rows": report.rows,
            "groupements": report.groupements,
            "bodies_created": report.bodies_created,
            "members": report.members,
            "exercises_created": report.exercises_created,
            "unresolved_communes": len(report.unresolved_communes),
        }
    result["seconds"] = time.perf_counter() - t
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=140_000, help="lignes du fichier national construit")
    parser.add_argument("--keep", action="store_true", help="garder le fichier construit")
    parser.add_argument("--child", nargs=3, metavar=("DB", "FILE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print_header("Import BANATIC, export de taille nationale")
    from bench_routing import loaded_db

    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-banatic-"))
    try:
        path = tmp / "banatic-France.xlsx"
        t = time.perf_counter()
        rows, groupements = build(path, args.rows)
        print(
            f"fichier construit : {rows:,} lignes × {COLUMNS} colonnes, {groupements:,} groupements (lignes réelles "
            f"répétées), XLSX {path.stat().st_size / 1e6:.1f} Mo ({time.perf_counter() - t:.0f} s)"
        )
        figures = run_children(__file__, source, tmp, path)
        parse, imp = figures["parse"], figures["import"]
        print(f"lecture seule (read_export, base)  {parse['seconds']:7.1f} s   pic mémoire {parse['peak_mb']:6.0f} Mo")
        print(
            f"import complet (SQLite)            {imp['seconds']:7.1f} s   pic mémoire {imp['peak_mb']:6.0f} Mo   "
            f"ratio {imp['seconds'] / parse['seconds']:.1f}   cible pic < 500 Mo : "
            f"{'OK' if imp['peak_mb'] < 500 else 'AU-DELÀ DE LA CIBLE'}"
        )
        print(
            f"  {imp['bodies_created']:,} structures créées, {imp['members']:,} membres, "
            f"{imp['exercises_created']:,} compétences exercées, {imp['unresolved_communes']} communes introuvables"
        )
        write_results(
            "banatic-import",
            {"rows": rows, "columns": COLUMNS, "groupements": groupements, "xlsx_mb": path.stat().st_size / 1e6}
            | {"parse": parse, "import": imp},
        )
        if args.keep:
            kept = ROOT / "benchmarks" / "results" / "banatic-France-national.xlsx"
            shutil.copy(path, kept)
            print(f"fichier gardé : {kept}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
