"""Benchmark: Open311 `GET requests` with 100,000 requests in the database (issue 15).

    .venv/bin/python benchmarks/bench_open311.py [--requests 100000] [--calls 200] [--postgres URL | --no-postgres]

Works on a copy of the referential database cached by bench_referential_load.py (loaded first if absent), and on
PostgreSQL when reachable (the referential loaded there first). Inserts `--requests` Open311 requests (each with its
shared case and task, bulk_create) across the Hérault, one in three in the CC du Grand Pic Saint-Loup and 3 % at
Saint-Martin-de-Londres, filed over the last 365 days (seed 42), tasks in every status. Then, in process through
Django's test client (view, queries and XML/JSON rendering; no network), `--calls` calls of each:
  - `requests.json?jurisdiction_id=34274` (a commune: the last 90 days, ~750 requests),
  - `requests.xml?jurisdiction_id=200022986` (the CC: capped at 1,000 of ~8,000 in the window),
  - `requests.json?jurisdiction_id=200022986&status=open&service_code=dechets-menagers`,
  - `requests/{id}.json` and `servicerequestupdates.json` for the CC.
Baseline in the same run: `GET /api/v1/taches?limite=200` for the CC's API token (the task list of the guichet
unique: a permission-scoped list over the same task table). Figures: median and p95 (ms) per call.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_POSTGRES, copy_db, django_setup, median, percentile, print_header, write_results  # noqa: E402
from bench_routing import loaded_db  # noqa: E402

PIC = "200022986"
SAINT_MARTIN = "34274"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        django_setup(args.child[0], Path(args.child[1]))
        if os.environ.get("BENCH_PROFILE"):  # where the time of one call goes (development aid)
            import cProfile

            run(args)
            from django.test import Client

            client = Client(HTTP_HOST="127.0.0.1")
            cProfile.runctx("client.get(os.environ['BENCH_PROFILE'])", globals(), locals(), sort="cumtime")
            return
        figures = run(args)
        import json

        print(json.dumps(figures))
        return
    print_header(f"Open311 : GET requests avec {args.requests:,} demandes")
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-open311-"))
    results: dict[str, object] = {"requests": args.requests, "calls": args.calls}
    try:
        db = tmp / "open311.sqlite3"
        copy_db(loaded_db(), db)
        results["sqlite"] = child(args, f"sqlite:///{db}", tmp)
        if not args.no_postgres:
            pg = postgres_database(args.postgres)
            if pg:
                url, drop = pg
                try:
                    results["postgresql"] = child(args, url, tmp)
                finally:
                    drop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path = write_results("open311", results)
    print(f"\nrésultats : {path}")


def postgres_database(server_url: str):  # noqa: ANN201
    """A fresh database on the PostgreSQL server (None when unreachable), and how to drop it."""
    try:
        import psycopg
    except ImportError:
        return None
    base = server_url.rsplit("/", 1)[0]
    name = f"sanscouture_bench_open311_{os.getpid()}"
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL injoignable ({exc.__class__.__name__}) : mesure SQLite seule")
        return None

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def child(args: argparse.Namespace, url: str, tmp: Path) -> dict:
    """One engine in its own process (Django reads its settings once per process)."""
    import json
    import subprocess

    cmd = [sys.executable, __file__, "--child", url, str(tmp), "--requests", str(args.requests)]
    cmd += ["--calls", str(args.calls)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-4000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    engine = url.split(":", 1)[0]
    print(f"\n{engine} — {figures['inserted']:,} demandes insérées en {figures['insert_s']:.1f} s")
    print(f"{'appel':<58} {'médiane ms':>11} {'p95 ms':>8} {'lignes':>7}")
    for label, row in figures["calls"].items():
        print(f"{label:<58} {row['median_ms']:>11.1f} {row['p95_ms']:>8.1f} {row['rows']:>7}")
    base = figures["calls"]["référence : GET /api/v1/taches?limite=200 (jeton de la CC)"]["p95_ms"]
    worst = max(r["p95_ms"] for k, r in figures["calls"].items() if not k.startswith("référence"))
    print(f"p95 le plus lent / référence : {worst / base:.1f}×")
    return figures


def run(args: argparse.Namespace) -> dict:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from sanscouture.bodies.models import Body

    if not Body.objects.exists():
        from sanscouture.competences.services import referential_load

        print("chargement du référentiel…", file=sys.stderr)
        referential_load()
    t = time.perf_counter()
    inserted = insert(args.requests)
    insert_s = time.perf_counter() - t
    return {"inserted": inserted, "insert_s": insert_s, "calls": measure(args.calls)}


def insert(n: int) -> int:
    """`n` requests with their case and task, by chunks of 5,000 (bulk_create), dated over the last 365 days."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from sanscouture.accounts.services import api_token_create
    from sanscouture.bodies.models import Body
    from sanscouture.cases.models import Case, CaseEvent, Task, TaskStatus
    from sanscouture.competences.routing import communes_served
    from sanscouture.open311.models import ServiceRequest
    from sanscouture.territories.models import Commune

    rng = random.Random(42)
    pic = Body.objects.get(key=f"epci:{PIC}")
    mairie = Body.objects.get(key=f"mairie:{SAINT_MARTIN}")
    herault = list(Commune.objects.filter(kind="current", insee_code__startswith="34").values_list("pk", flat=True))
    in_pic = list(Commune.objects.filter(insee_code__in=communes_served(pic.key)).values_list("pk", flat=True))
    saint_martin = Commune.objects.get(insee_code=SAINT_MARTIN, kind="current").pk
    others = list(Body.objects.filter(key__startswith="mairie:34").values_list("pk", flat=True)[:300])
    statuses = [TaskStatus.TODO] * 40 + [TaskStatus.IN_PROGRESS] * 20 + [TaskStatus.DONE] * 35
    statuses += [TaskStatus.NOT_APPLICABLE] * 5
    codes = ["dechets-menagers"] * 5 + ["voirie-communale", "eau-potable", "assainissement-collectif", "guichet-mairie"]
    # The dates are the benchmark's: auto_now_add would stamp every row "now".
    for model, name in ((ServiceRequest, "requested_at"), (CaseEvent, "created_at")):
        model._meta.get_field(name).auto_now_add = False
    now = timezone.now()
    today = timezone.localdate()
    user = get_user_model().objects.create_user(username="bench-open311")
    done = 0
    while done < n:
        size = min(5000, n - done)
        with transaction.atomic():
            cases, tasks, requests, events = [], [], [], []
            rows = []
            for i in range(size):
                r = rng.random()
                if r < 0.03:
                    commune, body = saint_martin, pic.pk
                elif r < 0.33:
                    commune, body = rng.choice(in_pic), pic.pk
                else:
                    commune, body = rng.choice(herault), rng.choice(others)
                when = now - timedelta(seconds=rng.randrange(365 * 86400))
                rows.append((commune, body, when, rng.choice(statuses), rng.choice(codes)))
                cases.append(
                    Case(
                        life_event="open311",
                        life_event_title="Signalement",
                        commune_id=commune,
                        person_token_hash=f"bench-{done + i}-{rng.getrandbits(64):x}",
                    )
                )
            Case.objects.bulk_create(cases)
            for case, (_, body, _, status, _) in zip(cases, rows, strict=True):
                tasks.append(
                    Task(
                        case=case,
                        body_id=body,
                        pivot="epci",
                        title="Signalement",
                        expected_action="Signalement transmis (Open311).",
                        due_date=today + timedelta(days=15),
                        status=status,
                        status_reason="doublon" if status == TaskStatus.NOT_APPLICABLE else "",
                    )
                )
            Task.objects.bulk_create(tasks)
            for task, (commune, body, when, status, code) in zip(tasks, rows, strict=True):
                requests.append(
                    ServiceRequest(
                        task=task,
                        service_code=code,
                        commune_id=commune,
                        body_id=body,
                        submitted_by_id=mairie.pk,
                        description="Bacs non ramassés",
                        requested_at=when,
                    )
                )
                if status != TaskStatus.TODO:
                    label = TaskStatus(status).label
                    events.append(
                        CaseEvent(
                            case_id=task.case_id,
                            body_id=body,
                            kind="task_status",
                            text=f"Corps : tâche « {label} ».",
                            created_at=when + timedelta(days=2),
                        )
                    )
            ServiceRequest.objects.bulk_create(requests)
            CaseEvent.objects.bulk_create(events)
        done += size
        print(f"  {done:,} / {n:,}", file=sys.stderr)
    _, raw = api_token_create(body=pic, name="bench", role="referent", created_by=user)
    os.environ["BENCH_PIC_TOKEN"] = raw
    return done


def _rows(content: bytes) -> int:
    if content.startswith(b"<?xml"):
        return content.count(b"<request>") + content.count(b"<request_update>")
    import json

    return len(json.loads(content))


def measure(calls: int) -> dict[str, dict[str, float]]:
    from django.test import Client

    from sanscouture.open311.models import ServiceRequest

    client = Client(HTTP_HOST="127.0.0.1")
    token = os.environ["BENCH_PIC_TOKEN"]
    one = ServiceRequest.objects.filter(body__key=f"epci:{PIC}").order_by("-requested_at").values_list("pk", flat=True)
    request_id = one.first()
    cases = {
        "référence : GET /api/v1/taches?limite=200 (jeton de la CC)": (
            "/api/v1/taches?limite=200",
            {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        ),
        f"requests.json?jurisdiction_id={SAINT_MARTIN}": (
            f"/open311/v2/requests.json?jurisdiction_id={SAINT_MARTIN}",
            {},
        ),
        f"requests.xml?jurisdiction_id={PIC} (1 000 au plus)": (f"/open311/v2/requests.xml?jurisdiction_id={PIC}", {}),
        f"requests.json?jurisdiction_id={PIC}&status=open&service_code=…": (
            f"/open311/v2/requests.json?jurisdiction_id={PIC}&status=open&service_code=dechets-menagers",
            {},
        ),
        f"requests/{{id}}.json?jurisdiction_id={PIC}": (
            f"/open311/v2/requests/{request_id}.json?jurisdiction_id={PIC}",
            {},
        ),
        f"servicerequestupdates.json?jurisdiction_id={PIC}": (
            f"/open311/v2/servicerequestupdates.json?jurisdiction_id={PIC}",
            {},
        ),
    }
    figures = {}
    for label, (url, headers) in cases.items():
        response = client.get(url, **headers)  # warm-up (routing index, caches)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        rows = _rows(response.content)
        timings = []
        for _ in range(calls):
            t = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - t) * 1000)
        figures[label] = {"median_ms": median(timings), "p95_ms": percentile(timings, 95), "rows": rows}
    return figures


if __name__ == "__main__":
    main()
