"""Benchmark: declarations over HTTP, on PostgreSQL, the real server with 2 workers (issue 16, item 1).

    .venv/bin/python benchmarks/bench_http_declarations.py [--declarations 300] [--concurrency 8] [--workers 2]

Creates an empty PostgreSQL database `sanscouture_bench_http_decl_<pid>` (server of --postgres /
BENCH_POSTGRES_URL, default local), starts `sanscouture serve --workers 2` on it (which migrates and loads the
referential and the catalogue, then runs its task worker: the outbox is delivered while the load runs, as in
production), then, from this process: plans « Je déménage » between random pairs of communes (seed 42, as
bench_cases.py) and gives every body of these plans one agent with an e-mail (so each declaration writes its
notifications and outbox e-mails), and sends `POST /api/v1/dossiers` for each pair (anonymous, consent to every
body) from --concurrency keep-alive connections: declarations/s, p50 / p95.
Baseline, same server, same run: `GET /api/v1/ping`. The anonymous-write throttle is raised for the run (it would
answer 429 after 30 declarations from one address). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    DEFAULT_POSTGRES,
    current_commune_codes,
    django_setup,
    median,
    percentile,
    print_header,
    write_results,
)  # noqa: E402
from bench_cases import LIFE_EVENT, MOVE, VALUES, agents_for  # noqa: E402
from bench_http import ServerProcess, cpu_seconds  # noqa: E402

TARGET_PG_CASES_PER_S = 150.0  # issue 16, in process; over HTTP: measured and reported


def post_all(base: str, bodies: list[bytes], concurrency: int) -> dict[str, object]:
    host, port = base.removeprefix("http://").split(":")
    lock = threading.Lock()
    position = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                i = position[0]
                position[0] += 1
            if i >= len(bodies):
                break
            t = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/dossiers", body=bodies[i], headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (http.client.HTTPException, OSError):
                conn.close()
                status = 0
            with lock:
                latencies.append(time.perf_counter() - t)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": statuses.get(201, 0) / elapsed,
        "p50_ms": 1000 * median(latencies),
        "p95_ms": 1000 * percentile(latencies, 95),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--declarations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    print_header("HTTP : POST /api/v1/dossiers (« Je déménage ») sur PostgreSQL, face à GET /api/v1/ping")
    import psycopg

    admin = args.postgres or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
    name = f"sanscouture_bench_http_decl_{os.getpid()}"
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-http-decl-"))
    server = ServerProcess(tmp, args.workers, args.threads)
    server.env.update(
        DATABASE_URL=url,
        SANSCOUTURE_ANON_WRITES_PER_ADDRESS="1000000",
        SANSCOUTURE_ANON_WRITES_GLOBAL="1000000",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    results: dict[str, object] = {}
    try:
        print(f"démarrage : {' '.join(server.cmd[1:])} sur {name} (vide : serve charge le référentiel)")
        startup = server.start(timeout=900)
        print(f"  prêt en {startup:.1f} s sur {server.url}, {server.workers()} processus sous l'arbitre")
        django_setup(url, tmp)
        from django.utils import timezone

        from sanscouture.cases.errors import InvalidDeclaration
        from sanscouture.cases.services import plan_declaration

        today = timezone.localdate()
        rng = random.Random(42)  # noqa: S311
        codes = current_commune_codes()
        payloads: list[bytes] = []
        bodies: set[int] = set()
        while len(payloads) < args.declarations + 20:
            commune_from, commune = rng.sample(codes, 2)
            try:
                _, _, planned = plan_declaration(
                    life_event=LIFE_EVENT, choices=MOVE, commune=commune, commune_from=commune_from, today=today
                )
            except InvalidDeclaration:
                continue
            bodies |= set(planned)
            payload = {
                "moment_de_vie": LIFE_EVENT,
                "choix": MOVE,
                "commune": commune,
                "commune_depart": commune_from,
                "donnees": VALUES,
                "consentements": list(planned),
            }
            payloads.append(json.dumps(payload).encode())
        agents = agents_for(bodies, "bench-http-decl")
        from django.db import connection

        connection.close()
        warm, timed = payloads[:20], payloads[20:]
        post_all(server.url, warm, args.concurrency)
        from bench_http import load

        load(server.url, ["/api/v1/ping"] * 200, args.concurrency)
        assert server.proc is not None
        cpu0 = cpu_seconds(server.proc.pid)
        ping = load(server.url, ["/api/v1/ping"] * 2000, args.concurrency)
        ping_cpu = 1000 * (cpu_seconds(server.proc.pid) - cpu0) / ping["requests"]
        cpu0 = cpu_seconds(server.proc.pid)
        decl = post_all(server.url, timed, args.concurrency)
        decl_cpu = 1000 * (cpu_seconds(server.proc.pid) - cpu0) / max(decl["requests"], 1)
        results = {
            "declarations": decl,
            "declarations_server_cpu_ms": decl_cpu,
            "ping": {k: v for k, v in ping.items() if k != "error_samples"},
            "ping_server_cpu_ms": ping_cpu,
            "agents_created": agents,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "startup_s": startup,
        }
    finally:
        server.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not results:
            print("journal du serveur :\n" + server.log_path.read_text(errors="replace")[-2000:])
    d, p = results["declarations"], results["ping"]
    print(f"\n{d['requests']} déclarations, {args.concurrency} connexions keep-alive, serveur --workers {args.workers}")
    print(
        f"  POST /api/v1/dossiers   {d['rps']:7.1f} dossiers/s   p50 {d['p50_ms']:.1f} ms   p95 {d['p95_ms']:.1f} ms   "
        f"CPU serveur {results['declarations_server_cpu_ms']:.1f} ms/déclaration   statuts {d['statuses']}"
    )
    print(
        f"  GET /api/v1/ping (base) {p['rps']:7.1f} req/s   p50 {1000 * p['p50_s']:.1f} ms   "
        f"CPU serveur {results['ping_server_cpu_ms']:.2f} ms/req   → déclaration ÷ ping {d['rps'] / p['rps']:.3f}"
    )
    path = write_results("http_declarations", results)
    print(f"\nRésultats : {path}")


if __name__ == "__main__":
    main()
