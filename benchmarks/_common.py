"""Small helpers shared by the benchmarks (no dependency beyond the project's own).

Django settings are read once per process from the environment, so every helper that touches Django expects
`django_setup()` to be called *after* DATABASE_URL / SANSCOUTURE_DATA_DIR have been set.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"  # gitignored
# A loaded referential, kept between runs so bench_routing / bench_http do not reload it every time.
CACHE_CANDIDATES = (RESULTS / "referential.sqlite3", Path("/tmp/sanscouture-bench/referential.sqlite3"))  # noqa: S108
CACHE_DB = CACHE_CANDIDATES[0]
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def bundled_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("sanscouture.territories")
    assert spec and spec.origin
    return Path(spec.origin).parent / "data" / "decoupage-administratif.json.gz"


def bundled_fingerprint() -> str:
    """What a cached database must have been loaded from (the bundled file's sha256)."""
    return hashlib.sha256(bundled_file().read_bytes()).hexdigest()


def current_commune_codes() -> list[str]:
    """The INSEE codes of current communes, read straight from the bundled file (no Django needed)."""
    bundle = json.loads(gzip.decompress(bundled_file().read_bytes()))
    return [c["code"] for c in bundle["files"]["communes"] if c.get("type") == "commune-actuelle"]


def find_cached_db() -> Path | None:
    """A cached SQLite database holding the current bundled referential, if one exists."""
    fingerprint = bundled_fingerprint()
    for path in CACHE_CANDIDATES:
        meta = path.with_suffix(".json")
        if path.exists() and meta.exists():
            try:
                if json.loads(meta.read_text()).get("bundled_sha256") == fingerprint:
                    return path
            except (OSError, ValueError):
                continue
    return None


def save_cache(src_db: Path, dst: Path = CACHE_DB) -> Path:
    """Copy a loaded SQLite database (consistent snapshot via the backup API) into the cache."""
    for candidate in (dst, CACHE_CANDIDATES[1]):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            tmp = candidate.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            with sqlite3.connect(src_db) as source, sqlite3.connect(tmp) as target:
                source.backup(target)
            target.close()
            source.close()
            os.replace(tmp, candidate)
            candidate.with_suffix(".json").write_text(
                json.dumps(
                    {"bundled_sha256": bundled_fingerprint(), "saved": datetime.now().isoformat(timespec="seconds")}
                )
            )
            return candidate
        except OSError:
            continue
    raise OSError("impossible d'écrire le cache de la base chargée")


def copy_db(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)


def django_setup(database_url: str, data_dir: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["SANSCOUTURE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanscouture.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_results(name: str, payload: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), **payload}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")  # UTC: django.setup() changes the local TZ
    path = RESULTS / f"{name}-{stamp}.json"
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    path.write_text(text)
    (RESULTS / f"{name}-latest.json").write_text(text)
    return path


def print_header(title: str) -> None:
    print(f"\n=== {title} ===")
    print(f"python {platform.python_version()} · {os.cpu_count()} CPU · {sys.executable}")


def run_children(
    script: str, source: Path, tmp: Path, data: Path, modes: tuple[str, ...] = ("parse", "import")
) -> dict:
    """Each mode of an import benchmark in its own process (so its peak memory is its own), on its own copy of the
    loaded database: `script --child DB FILE MODE` prints one JSON line of figures."""
    figures = {}
    for mode in modes:
        db = tmp / f"{mode}.sqlite3"
        copy_db(source, db)
        out = subprocess.run(
            [sys.executable, script, "--child", str(db), str(data), mode], check=True, capture_output=True, text=True
        ).stdout
        figures[mode] = json.loads(out.strip().splitlines()[-1])
    return figures
