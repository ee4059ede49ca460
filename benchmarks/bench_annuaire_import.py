"""Benchmark: `annuaire_import()` of a national-size Annuaire export, time and peak memory.

    .venv/bin/python benchmarks/bench_annuaire_import.py [--mb 270] [--keep]

The real national file (`all_latest.tar.bz2`, ~270 MB of JSON) is not reachable here: this script BUILDS one of
the same size by repeating the real example records of tests/fixtures/annuaire/ (the 2021 export record of
Breux-sur-Avre and the 2023 record of Fontaine-le-Port, as published) with new ids, each moved to a real
current commune in turn (its INSEE code only; every other value is the real one), and a geographic-competence
zip (one file per commune) in the shape of DATA_FORMATS.md §1.5. It is packed as the DILA publishes it:
a tar.bz2 holding `…data.gouv_local.json` and `…data.gouv_commune.zip`.

The import runs in a child process on a copy of the cached referential database (bench_referential_load.py), so
that its peak resident memory (`ru_maxrss`) is the import's own. Baseline in the same run: reading and parsing
the same archive with ijson alone (no database). Target (issue 10): peak memory under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tarfile
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, current_commune_codes, django_setup, print_header, run_children, write_results  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "annuaire"


def real_records() -> list[dict]:
    return [
        json.loads((FIXTURES / "annuaire_example_export_2021.json").read_text())["service"][0],
        json.loads((FIXTURES / "annuaire_example_2023_acceslibre.json").read_text()),
    ]


def build(target: Path, megabytes: int) -> tuple[int, int]:
    """Write the national-size tar.bz2; returns (records, bytes of JSON)."""
    codes = current_commune_codes()
    records = real_records()
    local = target.parent / "data.gouv_local.json"
    served: dict[str, list[tuple[str, str]]] = {}
    n = size = 0
    with local.open("w") as out:
        out.write('{"service": [')
        while size < megabytes * 1_000_000:
            record = json.loads(json.dumps(records[n % len(records)]))
            code = codes[n % len(codes)]
            record["id"] = str(uuid.UUID(int=n + 1))
            record["code_insee_commune"] = code
            for pivot in record["pivot"]:
                pivot["code_insee_commune"] = [code] if isinstance(pivot["code_insee_commune"], list) else code
            served.setdefault(code, []).append(("mairie", record["id"]))
            text = json.dumps(record, ensure_ascii=False)
            out.write(("," if n else "") + text)
            size += len(text.encode())
            n += 1
        out.write("]}")
    zipped = target.parent / "data.gouv_commune.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for code, offices in served.items():
            entry = {
                "code_insee_commune": code,
                "type_service_local": [{"code_type_service_local": t, "organisme": [i]} for t, i in offices],
            }
            archive.writestr(f"{code}.json", json.dumps({"commune": [entry]}))
    with tarfile.open(target, "w:bz2") as tar:
        tar.add(zipped, arcname="2026-11-30_data.gouv_commune.zip")
        tar.add(local, arcname="2026-11-30_data.gouv_local.json")
    local.unlink()
    zipped.unlink()
    return n, size


def child(db: str, archive: str, mode: str) -> None:
    """Run in a child process: the import (or the parse-only baseline); print time and peak memory as JSON."""
    tmp = Path(db).parent
    django_setup(f"sqlite:///{db}", tmp)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # the cached referential may predate a migration
    t = time.perf_counter()
    if mode == "parse":
        import ijson

        count = 0
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if member.name.endswith("gouv_local.json"):
                    for _ in ijson.items(tar.extractfile(member), "service.item", use_float=True):
                        count += 1
        result = {"records": count}
    else:
        from sanscouture.bodies.importers import annuaire_import

        report = annuaire_import(Path(archive), tempdir=tmp)
        result = {"records": report.records, "created": report.created, "warnings": len(report.warnings)}
    result["seconds"] = time.perf_counter() - t
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=270, help="taille du JSON national construit (Mo)")
    parser.add_argument("--keep", action="store_true", help="garder l'archive construite")
    parser.add_argument("--child", nargs=3, metavar=("DB", "ARCHIVE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print_header("Import de l'Annuaire de l'administration, fichier de taille nationale")
    from bench_routing import loaded_db

    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-annuaire-"))
    try:
        archive = tmp / "all_latest.tar.bz2"
        t = time.perf_counter()
        records, size = build(archive, args.mb)
        print(
            f"fichier construit : {records} enregistrements (répétition des 2 enregistrements réels), "
            f"{size / 1e6:.0f} Mo de JSON, archive {archive.stat().st_size / 1e6:.1f} Mo "
            f"({time.perf_counter() - t:.0f} s)"
        )
        figures = run_children(__file__, source, tmp, archive)
        parse, imp = figures["parse"], figures["import"]
        print(f"lecture seule (ijson, base)  {parse['seconds']:7.1f} s   pic mémoire {parse['peak_mb']:6.0f} Mo")
        print(
            f"import complet (SQLite)       {imp['seconds']:7.1f} s   pic mémoire {imp['peak_mb']:6.0f} Mo   "
            f"ratio {imp['seconds'] / parse['seconds']:.1f}   cible pic < 500 Mo : "
            f"{'OK' if imp['peak_mb'] < 500 else 'AU-DELÀ DE LA CIBLE'}"
        )
        write_results("annuaire-import", {"records": records, "json_mb": size / 1e6, "parse": parse, "import": imp})
        if args.keep:
            kept = ROOT / "benchmarks" / "results" / "all_latest-national.tar.bz2"
            shutil.copy(archive, kept)
            print(f"archive gardée : {kept}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
