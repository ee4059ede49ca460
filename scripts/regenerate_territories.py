#!/usr/bin/env python3
"""Regenerate src/sanscouture/territories/data/decoupage-administratif.json.gz from the npm package.

Usage: python scripts/regenerate_territories.py [VERSION]     (default 6.0.0, COG 2026)
Needs `npm` and the npm registry (development time only). The bundle keeps the package's own records
(official shapes); EPCI/EPT members are reduced to their INSEE code, the only field the import reads.

It also carries the dated referential (issue 9): every yearly edition of the package since COG 2019 is read
in order and folded with the importer's own `history_extend()`, so that a fresh database knows the communes
and EPCI perimeters of past years. Editions before COG 2023 have no ept.json: the EPT of COG 2023 stand for
them (the EPT perimeters have not changed since their creation in 2016).
"""

import gzip
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/sanscouture/territories/data/decoupage-administratif.json.gz"
# The arrondissements (chef-lieu: the sous-préfecture) go to the bodies layer, which derives the sous-préfectures.
ARRONDISSEMENTS = ROOT / "src/sanscouture/bodies/data/arrondissements.json"
FILES = ("regions", "departements", "communes", "epci", "ept")


def _fetch(version: str, tmp: Path) -> dict:
    folder = tmp / version
    folder.mkdir()
    subprocess.run(
        ["npm", "pack", f"@etalab/decoupage-administratif@{version}", "--silent"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    with tarfile.open(next(folder.glob("*.tgz"))) as tar:
        tar.extractall(folder, filter="data")
    data_dir = folder / "package" / "data"
    return {
        name: json.loads((data_dir / f"{name}.json").read_text())
        for name in (*FILES, "arrondissements")
        if (data_dir / f"{name}.json").exists()
    }


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanscouture.settings")
    import django

    django.setup()
    from sanscouture.territories.importers import EDITION_DATES, edition_states, history_extend

    version = sys.argv[1] if len(sys.argv) > 1 else "6.0.0"
    with tempfile.TemporaryDirectory() as tmp:
        editions = {
            v: _fetch(v, Path(tmp))
            for v in sorted(EDITION_DATES, key=EDITION_DATES.get)
            if EDITION_DATES[v] <= EDITION_DATES[version]
        }
    files = editions[version]
    ept_2023 = next(e["ept"] for e in editions.values() if "ept" in e)
    periods: list = []
    for v, data in editions.items():
        epcis = {e["code"]: (e["type"], e["nom"]) for e in data["epci"]}
        epci_of = {m["code"]: e["code"] for e in data["epci"] for m in e["membres"]}
        ept_of = {m["code"]: e["code"] for e in data.get("ept", ept_2023) for m in e["membres"]}
        periods = history_extend(periods, edition_states(data["communes"], epcis, epci_of, ept_of), EDITION_DATES[v])
        print(f"{v} (COG {EDITION_DATES[v].year}): {len(periods)} périodes")
    ARRONDISSEMENTS.write_text(
        json.dumps(editions[version]["arrondissements"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        + "\n"
    )
    for name in ("epci", "ept"):
        for group in files[name]:
            group["membres"] = [{"code": m["code"]} for m in group["membres"]]
    bundle = {
        "source": "@etalab/decoupage-administratif (COG INSEE, DGCL)",
        "version": version,
        "effective": EDITION_DATES[version].isoformat(),
        "licence": "Licence Ouverte 2.0 (données) ; paquet sous licence MIT",
        "files": files,
        "history": {
            "editions": {v: EDITION_DATES[v].isoformat() for v in editions},
            "periods": periods,
        },
    }
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(
        f"{OUT.relative_to(ROOT)}: {len(raw) / 1e6:.1f} MB JSON → {OUT.stat().st_size / 1e6:.2f} MB gz; "
        + ", ".join(f"{k}={len(v)}" for k, v in files.items())
    )


if __name__ == "__main__":
    main()
