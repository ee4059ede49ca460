#!/usr/bin/env python3
"""Regenerate src/sanscouture/territories/data/decoupage-administratif.json.gz from the npm package.

Usage: python scripts/regenerate_territories.py [VERSION]     (default 6.0.0, COG 2026)
Needs `npm` and the npm registry (development time only). The bundle keeps the package's own records
(official shapes); EPCI/EPT members are reduced to their INSEE code, the only field the import reads.
"""

import gzip
import json
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


def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else "6.0.0"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"@etalab/decoupage-administratif@{version}", "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        data_dir = Path(tmp) / "package" / "data"
        files = {name: json.loads((data_dir / f"{name}.json").read_text()) for name in FILES}
        arrondissements = json.loads((data_dir / "arrondissements.json").read_text())
    ARRONDISSEMENTS.write_text(
        json.dumps(arrondissements, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    )
    for name in ("epci", "ept"):
        for group in files[name]:
            group["membres"] = [{"code": m["code"]} for m in group["membres"]]
    bundle = {
        "source": "@etalab/decoupage-administratif (COG INSEE, DGCL)",
        "version": version,
        "licence": "Licence Ouverte 2.0 (données) ; paquet sous licence MIT",
        "files": files,
    }
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(
        f"{OUT.relative_to(ROOT)}: {len(raw) / 1e6:.1f} MB JSON → {OUT.stat().st_size / 1e6:.2f} MB gz; "
        + ", ".join(f"{k}={len(v)}" for k, v in files.items())
    )


if __name__ == "__main__":
    main()
