#!/usr/bin/env python3
"""Cut tests/fixtures/decoupage-subset.json.gz from the bundled official referential.

Keeps every région and département, and the communes, EPCI and EPT of a few départements chosen for
their special cases (Hérault and Loire-Atlantique for the examples, Paris, Rhône/Lyon, Hauts-de-Seine and
Seine-Saint-Denis for Grand Paris, Corsica, Martinique, Guyane, Mayotte, the islands without EPCI, COM,
Marseille, Saint-Pierre-et-Miquelon, and the Calvados for communes merged since 2019) with their dated history.
"""

import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src/sanscouture/territories/data/decoupage-administratif.json.gz"
OUT = ROOT / "tests/fixtures/decoupage-subset.json.gz"
DEPARTEMENTS = {
    "971",
    "974",
    "34",
    "44",
    "75",
    "69",
    "92",
    "93",
    "2A",
    "2B",
    "972",
    "973",
    "976",
    "29",
    "22",
    "85",
    "977",
    "978",
    "987",
    "13",  # Marseille: arrondissements in secteurs, BMPM
    "975",  # Saint-Pierre-et-Miquelon: Caisse de prévoyance sociale
    "14",  # Calvados: communes merged on 1 January 2025 (dated referential)
}


def main() -> None:
    bundle = json.loads(gzip.decompress(SOURCE.read_bytes()))
    files = bundle["files"]
    communes = [c for c in files["communes"] if c["departement"] in DEPARTEMENTS]
    codes = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    for name in ("epci", "ept"):
        groups = []
        for g in files[name]:
            members = [m for m in g["membres"] if m["code"] in codes]
            if members:
                groups.append({**g, "membres": members})
        files[name] = groups
    files["communes"] = communes
    history = bundle.get("history")
    if history:
        history["periods"] = [p for p in history["periods"] if p[2] in DEPARTEMENTS]
    bundle["version"] += "-subset"
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(raw, mtime=0))
    print(f"{OUT.relative_to(ROOT)}: {len(communes)} communes, {len(files['epci'])} EPCI, {len(files['ept'])} EPT")


if __name__ == "__main__":
    main()
