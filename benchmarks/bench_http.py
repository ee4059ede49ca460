"""Benchmark: HTTP throughput and latency of the real server (`sanscouture serve`, gunicorn gthread).

    .venv/bin/python benchmarks/bench_http.py
    .venv/bin/python benchmarks/bench_http.py --requests 5000 --concurrency 32 --workers 4 --threads 8
    .venv/bin/python benchmarks/bench_http.py --profile   # + in-process cProfile of both views

Starts `sanscouture serve` in a subprocess on 127.0.0.1 and a free port, on its own SQLite database in a
temporary folder (a copy of the referential cached by bench_referential_load.py if there is one, otherwise
an empty database that `serve` loads itself), with the product's default --workers/--threads unless given.
Waits for /healthz, then, in the same run:

- GET /api/v1/ping                           the trivial JSON endpoint: the baseline (framework + network);
- GET /api/v1/communes/{code}/competences    every competence for a commune (56 routings, ~25 kB of JSON),
                                             over a random sample of real current commune codes (seed 42);

each with --requests requests (default 3,000) from --concurrency client threads (default 16), each thread
with its own keep-alive `http.client` connection (standard library only). Prints requests/second, p50/p95
latency, the server's CPU time per request (from /proc), and the ratio competences rps / ping rps.
The client runs on the same machine and takes CPU from the server: figures are for comparison, not capacity.

Target (issue): competences / ping ≥ 0.5. The server is always stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import copy_db, current_commune_codes, find_cached_db, median, percentile, print_header, write_results  # noqa: E402

TARGET_RATIO = 0.5
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- server process
def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


class ServerProcess:
    def __init__(self, tmp: Path, workers: int | None, threads: int | None) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        db = tmp / "server.sqlite3"
        cached = find_cached_db()
        self.preloaded = cached is not None
        if cached:
            copy_db(cached, db)
        self.env = {
            **os.environ,
            "SANSCOUTURE_DATA_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{db}",
            "PYTHONUNBUFFERED": "1",
            "SANSCOUTURE_PRODUCTION": "",
            "SANSCOUTURE_DEBUG": "",
        }
        self.cmd = [sys.executable, "-m", "sanscouture.cli", "serve", "--host", HOST, "--port", str(self.port)]
        if workers:
            self.cmd += ["--workers", str(workers)]
        if threads:
            self.cmd += ["--threads", str(threads)]
        self.log_path = tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300) -> float:
        self.log = self.log_path.open("w")
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:  # noqa: S310 (loopback)
                    if resp.status == 200:
                        return time.perf_counter() - t
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("le serveur n'a pas démarré :\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # gunicorn: graceful stop of the arbiter and its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what we started
                self.proc.wait(timeout=10)
        self.log.close()

    def workers(self) -> int:
        """gunicorn workers running now: the children of the arbiter."""
        assert self.proc is not None
        return len(process_tree(self.proc.pid)) - 1


# --------------------------------------------------------------------------- load generator
def load(base: str, paths: list[str], concurrency: int) -> dict[str, object]:
    """Send every path once, from `concurrency` threads with one keep-alive connection each."""
    host, port = base.removeprefix("http://").split(":")
    lock = threading.Lock()
    position = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    sizes = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local_lat: list[float] = []
        local_status: dict[int, int] = {}
        size = 0
        while True:
            with lock:
                i = position[0]
                position[0] += 1
            if i >= len(paths):
                break
            for attempt in (1, 2):
                t = time.perf_counter()
                try:
                    conn.request("GET", paths[i], headers={"Accept": "application/json"})
                    resp = conn.getresponse()
                    body = resp.read()
                    local_lat.append(time.perf_counter() - t)
                    local_status[resp.status] = local_status.get(resp.status, 0) + 1
                    size += len(body)
                    if resp.getheader("Connection", "").lower() == "close":
                        conn.close()
                    break
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()  # the server closed the keep-alive connection: reconnect, retry once
                    if attempt == 2:
                        with lock:
                            errors.append(f"{paths[i]}: {exc!r}")
        conn.close()
        with lock:
            latencies.extend(local_lat)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v
            sizes[0] += size

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    done = len(latencies)
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "p50_s": median(latencies),
        "p95_s": percentile(latencies, 95),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies),
        "statuses": statuses,
        "errors": len(errors),
        "error_samples": errors[:5],
        "mean_bytes": sizes[0] / max(done, 1),
    }


def measured(server: ServerProcess, paths: list[str], concurrency: int) -> dict[str, object]:
    assert server.proc is not None
    cpu0, own0 = cpu_seconds(server.proc.pid), time.process_time()
    result = load(server.url, paths, concurrency)
    result["server_cpu_ms_per_request"] = 1000 * (cpu_seconds(server.proc.pid) - cpu0) / result["requests"]
    result["client_cpu_ms_per_request"] = 1000 * (time.process_time() - own0) / result["requests"]
    return result


# --------------------------------------------------------------------------- in-process profile (optional)
def profile_views(db: Path, data_dir: Path, codes: list[str], n: int) -> None:
    """Where a competences request spends its time, in process (Django test Client: no network, no gunicorn):
    a breakdown timed without profiler, then cProfile of both views. Runs in its own subprocess."""
    import cProfile
    import datetime as dt
    import io
    import pstats
    import warnings

    from _common import django_setup

    warnings.filterwarnings("ignore", message="No directory at")
    django_setup(f"sqlite:///{db}", data_dir)
    from django.test import Client
    from ninja.responses import NinjaJSONEncoder

    from sanscouture.competences.api import routing_out
    from sanscouture.competences.routing import route_all
    from sanscouture.competences.schemas import CommuneCompetencesOut
    from sanscouture.territories.models import Commune
    from sanscouture.territories.selectors import commune_resolve

    client = Client(HTTP_HOST=HOST)
    codes = codes[:n]
    comp_paths = [f"/api/v1/communes/{c}/competences" for c in codes]
    for p in ("/api/v1/ping", *comp_paths[:20]):
        assert client.get(p).status_code == 200

    def per_call_ms(fn, items) -> float:  # noqa: ANN001  (best of 3 passes: the machine may be shared)
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for item in items:
                fn(item)
            best = min(best, time.perf_counter() - t)
        return 1000 * best / len(items)

    resolved = {c: commune_resolve(c) for c in codes}
    answers = {c: route_all(commune=c) for c in codes}

    def build(c: str) -> CommuneCompetencesOut:  # what the view does after resolve + route_all
        r = resolved[c]
        return CommuneCompetencesOut(
            commune=r.commune.insee_code,
            nom=r.commune.name,
            date=dt.date.today(),
            message=r.message,
            competences=[routing_out(a) for a in answers[c]],
        )

    built = {c: build(c) for c in codes}
    dumped = {c: built[c].model_dump() for c in codes}
    related = ("departement", "region", "epci", "ept")
    rows = [
        ("GET /api/v1/ping (requête complète, en process)", per_call_ms(client.get, ["/api/v1/ping"] * n)),
        ("GET …/competences (requête complète, en process)", per_call_ms(client.get, comp_paths)),
        ("  commune_resolve(code)  [1 requête SQL, 8 select_related]", per_call_ms(commune_resolve, codes)),
        ("  route_all(commune=code)  [56 routages]", per_call_ms(lambda c: route_all(commune=c), codes)),
        ("  schémas de sortie : routing_out ×56 + CommuneCompetencesOut", per_call_ms(build, codes)),
        ("  model_dump() de la réponse (ninja)", per_call_ms(lambda c: built[c].model_dump(), codes)),
        (
            "  json.dumps(…, cls=NinjaJSONEncoder)",
            per_call_ms(lambda c: json.dumps(dumped[c], cls=NinjaJSONEncoder), codes),
        ),
        (
            "pour comparer : Commune.objects.filter(insee_code=…) sans select_related",
            per_call_ms(lambda c: list(Commune.objects.filter(insee_code=c)), codes),
        ),
        (
            "pour comparer : même requête avec les 8 select_related",
            per_call_ms(
                lambda c: list(
                    Commune.objects.filter(insee_code=c).select_related(*related, *(f"parent__{r}" for r in related))
                ),
                codes,
            ),
        ),
    ]
    print(
        f"\n--- Répartition d'une requête competences, en process, moyenne sur {n} communes, "
        "meilleur de 3 passages (sans profileur) ---"
    )
    for label, ms in rows:
        print(f"  {label:<72} {ms:7.3f} ms")

    for label, paths in (("ping", ["/api/v1/ping"] * n), ("competences", comp_paths)):
        profiler = cProfile.Profile()
        profiler.enable()
        for p in paths:
            client.get(p)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(25)
        print(f"\n--- cProfile {label}, {n} requêtes en process, trié par cumulative ---\n" + out.getvalue())


def fmt(r: dict[str, object]) -> str:
    return (
        f"{r['rps']:8.0f} req/s   p50 {1000 * r['p50_s']:6.1f} ms   p95 {1000 * r['p95_s']:6.1f} ms   "
        f"CPU serveur {r['server_cpu_ms_per_request']:5.2f} ms/req   "
        f"{r['mean_bytes'] / 1024:5.1f} ko   statuts {r['statuses']}   erreurs {r['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requêtes par point d'accès (3000)")
    parser.add_argument("--concurrency", type=int, default=16, help="threads clients (16)")
    parser.add_argument("--workers", type=int, help="passé à `sanscouture serve` (défaut du produit)")
    parser.add_argument("--threads", type=int, help="passé à `sanscouture serve` (défaut du produit)")
    parser.add_argument("--warmup", type=int, default=200, help="requêtes d'échauffement par point d'accès")
    parser.add_argument("--profile", action="store_true", help="en plus : cProfile des deux vues, en process")
    parser.add_argument("--profile-views", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    codes = current_commune_codes()
    rng = random.Random(42)  # noqa: S311
    if args.profile_views:
        db, n = Path(args.profile_views[0]), int(args.profile_views[1])
        profile_views(db, db.parent, rng.sample(codes, n), n)
        return

    print_header("HTTP : /api/v1/communes/{code}/competences face à /api/v1/ping")
    sample = rng.sample(codes, min(args.requests, len(codes)))
    comp_paths = [f"/api/v1/communes/{sample[i % len(sample)]}/competences" for i in range(args.requests)]
    ping_paths = ["/api/v1/ping"] * args.requests
    warm = rng.sample(codes, args.warmup)

    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-http-"))
    server = ServerProcess(tmp, args.workers, args.threads)
    results: dict[str, object] = {}
    try:
        print(f"démarrage : {' '.join(server.cmd[1:])}  (base {'copiée du cache' if server.preloaded else 'vide'})")
        startup = server.start()
        print(f"  prêt en {startup:.1f} s sur {server.url}")
        load(server.url, ["/api/v1/ping"] * args.warmup, args.concurrency)
        load(server.url, [f"/api/v1/communes/{c}/competences" for c in warm], args.concurrency)
        print(f"  {server.workers()} workers gunicorn (gthread) en marche")
        ping = measured(server, ping_paths, args.concurrency)
        comp = measured(server, comp_paths, args.concurrency)
        results = {
            "ping": ping,
            "competences": comp,
            "startup_s": startup,
            "preloaded_db": server.preloaded,
            "gunicorn_workers": server.workers(),
        }
    finally:
        server.stop()
        if not results:
            print("journal du serveur :\n" + server.log_path.read_text(errors="replace")[-2000:])

    ratio = comp["rps"] / ping["rps"]
    print(
        f"\n{args.requests} requêtes par point d'accès, {args.concurrency} connexions keep-alive, "
        f"serveur {'--workers ' + str(args.workers) if args.workers else 'workers par défaut'}"
        f"{' --threads ' + str(args.threads) if args.threads else ', threads par défaut'}"
    )
    print(f"  GET /api/v1/ping                         {fmt(ping)}")
    print(f"  GET /api/v1/communes/{{code}}/competences  {fmt(comp)}")
    print(
        f"  ratio competences / ping (req/s)         {ratio:8.2f}   "
        f"cible ≥ {TARGET_RATIO} : {'OK' if ratio >= TARGET_RATIO else 'EN DESSOUS DE LA CIBLE'}"
    )
    print(
        f"  CPU client (ce processus) : ping {ping['client_cpu_ms_per_request']:.2f} ms/req, "
        f"competences {comp['client_cpu_ms_per_request']:.2f} ms/req — même machine que le serveur"
    )

    if args.profile:
        db = tmp / "profile.sqlite3"
        src = find_cached_db()
        if src:
            copy_db(src, db)
            subprocess.run([sys.executable, __file__, "--profile-views", str(db), "300"], check=False)
        else:
            print("--profile : pas de base chargée en cache (lancez bench_referential_load.py d'abord)")
    shutil.rmtree(tmp, ignore_errors=True)

    path = write_results(
        "http",
        {
            "target_ratio": TARGET_RATIO,
            "requests_per_endpoint": args.requests,
            "concurrency": args.concurrency,
            "workers": args.workers or "défaut",
            "threads": args.threads or "défaut",
            **results,
            "ratio": ratio,
        },
    )
    print(f"\nRésultats : {path}")


if __name__ == "__main__":
    main()
