"""Benchmark: shared cases (guichet unique) — declaration throughput and an agent's task list at 100,000 cases.

    .venv/bin/python benchmarks/bench_cases.py                 # SQLite + PostgreSQL if reachable
    .venv/bin/python benchmarks/bench_cases.py --no-postgres   # SQLite only
    .venv/bin/python benchmarks/bench_cases.py --profile       # + cProfile of declarations and of the task list

1. Declaration throughput. `declaration_submit()` for « Je déménage » (choices locataire, francais, oui,
   salarie-du-secteur-prive) from a random current commune to another (seed 42), with the person's consent to
   every body that gets a task, one declaration per transaction, the way the web form and the API call it.
   Every body of these cases has one active agent with an e-mail address (created beforehand), so each new task
   writes its in-app notification and its outbox e-mail and the commit enqueues the delivery task, as in
   production. Cases per second and the mean number of tasks per case are reported.
   Baseline, same run, same inputs: `journey_compute()` alone for the commune of arrival and the commune left —
   the read part of a declaration. The ratio says what the writes cost on top of it.
   An untimed first pass (`plan_declaration`) gives the consent list and warms caches for both measures.

2. Task list at 100,000 cases. 100,000 cases are bulk-inserted by chunks of 2,000 in one transaction each, NOT
   through `declaration_submit` (at its rate that would take over an hour): `bulk_create` of Case and CaseData,
   and the Task rows (≈ 1.2 million) by COPY on PostgreSQL / `executemany` on SQLite with the model's columns
   (`--task-insert bulk_create` uses Django's `bulk_create` for them too: ≈ 11,500 rows/s, two minutes per
   backend, which breaks the 5-minute budget). The task sets are those of real « Je déménage » plans
   (journey_compute for a sample of communes, grouped by body as the service does), so about 12 per case,
   spread over ~2,000 bodies; statuses and due dates are spread (older cases mostly done). The CAF du Nord is
   made a busy body holding ~2.5 % of all tasks (`--busy-share`), and one agent of it is created. Then, warm:
   `list(tasks_for(user=agent)[:50])` (first page), `list(tasks_for(user=agent, status="todo",
   due_before=today + 30 days)[:50])` (filtered) and `tasks_for(user=agent).count()`: p50 / p95.
   Baseline, same run: the same shapes on a trivial table, `Body.objects.filter(kind="mairie", active=True)`
   (`select_related("commune")`, ordered by pk, first 50; and its `.count()`).
   Diagnostic (not product code, not a target): the same page and count written without the membership join
   and its DISTINCT (`body__in=<subquery of the agent's bodies>`), checked to return the same rows.
   PostgreSQL: `VACUUM ANALYZE` after the insert (what autovacuum does on its own in production: statistics,
   and the visibility map that index-only scans need). SQLite: nothing (the product runs no ANALYZE / optimize).

Each backend runs in its own subprocess (`--one sqlite|postgres`), because Django settings are process-global.
SQLite works on a copy of the referential database cached by bench_referential_load.py (loaded first if
absent); PostgreSQL on a fresh database `sanscouture_bench_cases_<pid>` (created, loaded with the referential,
dropped at the end) on the server of --postgres / BENCH_POSTGRES_URL (default local). Unreachable: skipped.

Targets: the issue asks to measure and report. Noted here (not from the issue): ≥ 20 declarations/s on SQLite
and a task list p95 < 100 ms (page, filter and count) at 100,000 cases.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_POSTGRES,
    copy_db,
    current_commune_codes,
    median,
    percentile,
    print_header,
    write_results,
)

MARKER = "BENCH_RESULT "
LIFE_EVENT = "je-demenage"
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
VALUES = {
    "nom": "Martin",
    "prenoms": "Léa",
    "date_naissance": "1990-04-02",
    "adresse_depart": "3 rue de la Gare",
    "adresse_arrivee": "12 place de l'Église",
    "date_evenement": "2026-07-01",
    "enfants": "Tom (2018)",
    "numero_allocataire": "1234567",
    "courriel": "lea.martin@example.org",
}
BUSY_DEPARTEMENT = "59"  # the Nord, most populated département
BUSY_BODY = f"caf:{BUSY_DEPARTEMENT}"
TARGET_CASES_PER_S = 20.0  # not from the issue ("measure and report")
TARGET_LIST_P95_MS = 100.0  # idem
TARGET_PG_CASES_PER_S = 150.0  # issue 16, PostgreSQL, in process
MAX_QUERIES = 15  # issue 16: whatever the number of bodies (tests/cases/test_declaration_queries.py)


# --------------------------------------------------------------------------- child: one backend, one process
def timed_runs(fn, *, reps: int, budget_s: float, warmup: int = 3) -> list[float]:  # noqa: ANN001
    """Call fn() `warmup` times untimed, then up to `reps` times (or until `budget_s`), in ms."""
    for _ in range(warmup):
        fn()
    out: list[float] = []
    start = time.perf_counter()
    while len(out) < reps and (time.perf_counter() - start < budget_s or len(out) < 10):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def stats(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": median(ms), "p95_ms": percentile(ms, 95), "max_ms": max(ms)}


def print_profile(profiler, title: str, n: int = 22) -> None:  # noqa: ANN001
    import io
    import pstats

    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(n)
        print(f"\n--- cProfile {title}, trié par {sort} ---", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)


def prepare(backend: str) -> dict[str, float]:
    from django.core.management import call_command

    from sanscouture.catalogue.importers import catalogue_load_bundled
    from sanscouture.territories.models import Commune

    setup: dict[str, float] = {}
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    setup["migrate_s"] = time.perf_counter() - t
    if not Commune.objects.exists():
        from sanscouture.competences.services import referential_load

        t = time.perf_counter()
        referential_load()
        setup["referential_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    catalogue_load_bundled()
    setup["catalogue_load_s"] = time.perf_counter() - t
    return setup


def agents_for(body_ids: set[int], prefix: str) -> int:
    """One active agent with an e-mail per body (bulk: no password hashing), so notifications are written."""
    from django.contrib.auth import get_user_model

    from sanscouture.accounts.models import Membership

    user_model = get_user_model()
    users = [
        user_model(username=f"{prefix}-{pk}", email=f"agent-{pk}@example.org", is_active=True, password="!")  # noqa: S106 (unusable)
        for pk in sorted(body_ids)
    ]
    user_model.objects.bulk_create(users, batch_size=500)
    by_name = dict(user_model.objects.filter(username__startswith=f"{prefix}-").values_list("username", "pk"))
    Membership.objects.bulk_create(
        [Membership(user_id=by_name[f"{prefix}-{pk}"], body_id=pk) for pk in sorted(body_ids)], batch_size=500
    )
    return len(users)


def throughput(args: argparse.Namespace, codes: list[str]) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sanscouture.cases.errors import InvalidDeclaration
    from sanscouture.cases.models import Case, Task
    from sanscouture.cases.services import declaration_submit, plan_declaration
    from sanscouture.journeys.selectors import journey_compute
    from sanscouture.notifications.models import Notification, OutboxEmail

    today = timezone.localdate()
    rng = random.Random(42)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < args.cases + 5:  # +5: the first ones warm up both measures, untimed
        commune_from, commune = rng.sample(codes, 2)
        pairs.append((commune_from, commune))
    # Untimed: the plan of each declaration (bodies that will get a task: the person consents to each).
    t = time.perf_counter()
    plans: list[tuple[str, str, list[int]]] = []
    refused = 0
    for commune_from, commune in pairs:
        try:
            _, _, planned = plan_declaration(
                life_event=LIFE_EVENT, choices=MOVE, commune=commune, commune_from=commune_from, today=today
            )
        except InvalidDeclaration:
            refused += 1
            continue
        plans.append((commune_from, commune, list(planned)))
    plan_s = time.perf_counter() - t
    agents = agents_for({pk for *_, ids in plans for pk in ids}, "bench-decl")
    warm, timed = plans[:5], plans[5:]

    def read_only(commune_from: str, commune: str) -> None:
        journey_compute(life_event=LIFE_EVENT, choices=MOVE, commune=commune, on=today)
        journey_compute(life_event=LIFE_EVENT, choices=MOVE, commune=commune_from, on=today)

    for commune_from, commune, _ in warm:
        read_only(commune_from, commune)
    baseline: list[float] = []
    for commune_from, commune, _ in timed:
        t = time.perf_counter()
        read_only(commune_from, commune)
        baseline.append((time.perf_counter() - t) * 1000)

    # Second baseline, same run: the database alone — a transaction of as many trivial round trips as a
    # declaration makes (SELECT 1) and one small INSERT, committed: what « declarations at database speed » means.
    from django.db import transaction

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v TEXT)")
    with CaptureQueriesContext(connection) as probe:
        submit_probe = plans[0]
        declaration_submit(
            life_event=LIFE_EVENT,
            choices=MOVE,
            commune=submit_probe[1],
            commune_from=submit_probe[0],
            values=VALUES,
            consents=submit_probe[2],
            today=today,
        )
    round_trips = len(probe.captured_queries)
    db_only: list[float] = []
    for i in range(len(timed)):
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for _ in range(round_trips - 1):
                cur.execute("SELECT 1")
            cur.execute(
                "INSERT INTO bench_commit (id, v) VALUES (%s, %s)", [i + 1_000_000 * random.randrange(1000), "x"]
            )
        db_only.append((time.perf_counter() - t) * 1000)

    def submit(commune_from: str, commune: str, consents: list[int]) -> Case:
        case, _token = declaration_submit(
            life_event=LIFE_EVENT,
            choices=MOVE,
            commune=commune,
            commune_from=commune_from,
            values=VALUES,
            consents=consents,
            today=today,
        )
        return case

    for plan in warm:
        submit(*plan)
    with CaptureQueriesContext(connection) as queries:  # one more (untimed): how many queries a declaration makes
        submit(*warm[0])
    case_ids: list[int] = []
    timings: list[float] = []
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    wall = time.perf_counter()
    cpu = time.process_time()  # this process's CPU: what a busy shared machine inflates least
    for plan in timed:
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        case = submit(*plan)
        if profiler:
            profiler.disable()
        timings.append((time.perf_counter() - t) * 1000)
        case_ids.append(case.pk)
    wall_s = time.perf_counter() - wall
    cpu_s = time.process_time() - cpu
    tasks = Task.objects.filter(case_id__in=case_ids).count()
    if profiler:
        print_profile(profiler, f"declaration_submit × {len(timed)} ({connection.vendor}, plus lent que la mesure)")
    per_kind: dict[str, int] = {}
    for q in queries.captured_queries:
        sql = q["sql"].lstrip().split(None, 3)
        head = sql[0].upper()
        table = sql[2] if head in ("INSERT", "DELETE") and len(sql) > 2 else ""
        if head == "SELECT":
            table = q["sql"].split(" FROM ", 1)[1].split()[0] if " FROM " in q["sql"] else ""
        key = f"{head} {table.strip(chr(34))}".strip()
        per_kind[key] = per_kind.get(key, 0) + 1
    sum_s = sum(timings) / 1000
    return {
        "declarations": len(timed),
        "refused_pairs": refused,
        "agents_created": agents,
        "plan_pass_s": plan_s,
        "wall_s": wall_s,
        "cases_per_s": len(timed) / sum_s,
        "cases_per_s_wall": len(timed) / wall_s,
        "tasks_per_case": tasks / len(timed),
        "submit": stats(timings),
        "submit_mean_ms": 1000 * sum_s / len(timed),
        "client_cpu_ms_per_declaration": 1000 * cpu_s / len(timed),
        "baseline_journey_compute_x2": stats(baseline),
        "baseline_database_only": {**stats(db_only), "round_trips": round_trips},
        "ratio_submit_to_database_p50": median(timings) / median(db_only),
        "baseline_mean_ms": sum(baseline) / len(baseline),
        "ratio_submit_to_read": (sum(timings) / len(timings)) / (sum(baseline) / len(baseline)),
        "ratio_submit_to_read_p50": median(timings) / median(baseline),
        "queries_per_declaration": len(queries.captured_queries),
        "queries_by_kind": dict(sorted(per_kind.items(), key=lambda kv: -kv[1])),
        "notifications_written": Notification.objects.count(),
        "outbox_emails_written": OutboxEmail.objects.count(),
    }


TASK_COLUMNS = (
    "case_id", "body_id", "pivot", "title", "expected_action", "steps", "commune_role", "due_date", "status",
    "status_reason", "created_at", "updated_at",
)  # fmt: skip


def insert_task_rows(rows: list[tuple]) -> None:
    """Task rows as tuples in TASK_COLUMNS order: COPY on PostgreSQL, executemany on SQLite (same transaction)."""
    from django.db import connection

    from sanscouture.cases.models import Task

    columns = {f.column for f in Task._meta.concrete_fields} - {Task._meta.pk.column}
    if columns != set(TASK_COLUMNS):  # the model changed: fail loudly rather than insert partial rows
        raise SystemExit(f"colonnes de Task changées : {sorted(columns ^ set(TASK_COLUMNS))} — adapter le banc")
    table = connection.ops.quote_name(Task._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in TASK_COLUMNS)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(TASK_COLUMNS))
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 (model names)


def bulk_cases(args: argparse.Namespace, codes: list[str]) -> dict[str, object]:
    """Insert `args.list_cases` cases with their CaseData and Task rows (bulk_create, by chunks)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sanscouture.bodies.models import Body
    from sanscouture.cases.fields import due_days
    from sanscouture.cases.models import Case, CaseData, CaseStatus, Task, TaskStatus
    from sanscouture.cases.services import _plan  # the service's own grouping of steps by body
    from sanscouture.journeys.selectors import journey_compute
    from sanscouture.territories.models import Commune

    today = timezone.localdate()
    rng = random.Random(4242)
    busy_codes = [c for c in codes if c.startswith(BUSY_DEPARTEMENT)]
    sample = rng.sample(codes, args.sample_communes) + rng.sample(busy_codes, 40)
    t = time.perf_counter()
    plans: dict[str, tuple[object, list[tuple[int, str, list[str]]]]] = {}
    title = life_event_id = ""
    for code in dict.fromkeys(sample):
        journey = journey_compute(life_event=LIFE_EVENT, choices=MOVE, commune=code, on=today)
        title = journey.life_event.publication.title
        life_event_id = journey.life_event.publication_id
        plans[code] = (journey.commune.pk, [(p.body_id, p.pivot, p.steps) for p in _plan(journey, "x").values()])
    names = dict(Commune.objects.filter(pk__in=[v[0] for v in plans.values()]).values_list("pk", "name"))
    plan_s = time.perf_counter() - t
    busy = [c for c in plans if c.startswith(BUSY_DEPARTEMENT)]
    others = [c for c in plans if not c.startswith(BUSY_DEPARTEMENT)]
    mean_tasks = sum(len(p[1]) for p in plans.values()) / len(plans) * 2 * 0.97  # two ends, a few shared bodies
    # P(an end of the move is in the busy département) so that its CAF holds ~busy_share of all tasks.
    p_end = 1 - (1 - min(0.99, args.busy_share * mean_tasks)) ** 0.5

    def pick() -> str:
        return rng.choice(busy) if rng.random() < p_end else rng.choice(others)

    action_arrival: dict[tuple[str, ...], str] = {}
    raw = args.task_insert == "copy"
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    date_cache: dict[date, object] = {}
    steps_cache: dict[tuple[str, ...], str] = {}

    def date_db(d: date) -> object:
        if d not in date_cache:
            date_cache[d] = connection.ops.adapt_datefield_value(d)
        return date_cache[d]

    def steps_db(steps: list[str]) -> str:
        key = tuple(steps)
        if key not in steps_cache:
            steps_cache[key] = json.dumps(steps)
        return steps_cache[key]

    token_seed = os.urandom(8).hex()
    t_insert = time.perf_counter()
    n_tasks = 0
    done = 0
    chunk = args.chunk
    status_old = (
        [TaskStatus.DONE] * 85 + [TaskStatus.NOT_APPLICABLE] * 5 + [TaskStatus.TODO] * 6 + [TaskStatus.IN_PROGRESS] * 4
    )
    status_new = [TaskStatus.TODO] * 55 + [TaskStatus.IN_PROGRESS] * 25 + [TaskStatus.DONE] * 20
    while done < args.list_cases:
        size = min(chunk, args.list_cases - done)
        specs = []
        cases = []
        for i in range(size):
            commune_from = pick()
            commune = pick()
            while commune == commune_from:
                commune = pick()
            age = rng.randrange(0, 730)  # declared 0–2 years ago
            statuses = status_old if age > 90 else status_new
            specs.append((commune_from, commune, age, statuses))
            cases.append(
                Case(
                    life_event=life_event_id,
                    life_event_title=title,
                    choices=MOVE,
                    commune_id=plans[commune][0],
                    commune_from_id=plans[commune_from][0],
                    person_token_hash=hashlib.sha256(f"{token_seed}:{done + i}".encode()).hexdigest(),
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=1000)
            CaseData.objects.bulk_create([CaseData(case=c, values=VALUES) for c in cases], batch_size=1000)
            tasks = []
            closed = []
            for case, (commune_from, commune, age, statuses) in zip(cases, specs, strict=True):
                planned: dict[int, tuple[str, list[str], str]] = {}
                for body_id, pivot, steps in plans[commune][1]:
                    planned[body_id] = (pivot, steps, "arrivee")
                for body_id, pivot, steps in plans[commune_from][1]:
                    planned.setdefault(body_id, (pivot, steps, "depart"))
                declared = today - timedelta(days=age)
                all_closed = True
                for body_id, (pivot, steps, role) in planned.items():
                    status = rng.choice(statuses)
                    all_closed &= status in (TaskStatus.DONE, TaskStatus.NOT_APPLICABLE)
                    if role == "depart":
                        task_title = f"Départ de la commune : {names[plans[commune_from][0]]}"
                        action = "La personne quitte votre territoire : mettre à jour ou clore son dossier."
                    else:
                        task_title = title
                        key = tuple(steps)
                        action = action_arrival.setdefault(
                            key, "Traiter les étapes du parcours qui relèvent de votre structure : " + " ; ".join(steps)
                        )
                    due = declared + timedelta(days=due_days(pivot))
                    reason = "Déjà fait par la personne" if status == TaskStatus.NOT_APPLICABLE else ""
                    if raw:
                        tasks.append(
                            (case.pk, body_id, pivot, task_title, action, steps_db(steps), role, date_db(due),
                             status, reason, now_db, now_db)
                        )  # fmt: skip
                    else:
                        tasks.append(
                            Task(
                                case_id=case.pk,
                                body_id=body_id,
                                pivot=pivot,
                                title=task_title,
                                expected_action=action,
                                steps=steps,
                                commune_role=role,
                                due_date=due,
                                status=status,
                                status_reason=reason,
                            )
                        )
                if all_closed:
                    closed.append(case.pk)
            if raw:
                insert_task_rows(tasks)
            else:
                Task.objects.bulk_create(tasks, batch_size=2000)
            if closed:
                Case.objects.filter(pk__in=closed).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
        n_tasks += len(tasks)
        done += size
    insert_s = time.perf_counter() - t_insert
    analyze_s = 0.0
    if connection.vendor == "postgresql":
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")  # outside any transaction (autocommit)
        analyze_s = time.perf_counter() - t
    busy_body = Body.objects.get(key=BUSY_BODY)
    return {
        "cases": done,
        "tasks": n_tasks,
        "tasks_per_case": n_tasks / done,
        "sample_communes": len(plans),
        "bodies_with_tasks": Task.objects.values("body").distinct().count(),
        "busy_body": BUSY_BODY,
        "busy_body_tasks": Task.objects.filter(body=busy_body).count(),
        "busy_share": Task.objects.filter(body=busy_body).count() / max(1, Task.objects.count()),
        "plan_s": plan_s,
        "insert_s": insert_s,
        "insert_rows_per_s": (2 * done + n_tasks) / insert_s,
        "task_insert": args.task_insert,
        "analyze_s": analyze_s,
        "closed_cases": Case.objects.filter(status=CaseStatus.CLOSED).count(),
        "all_cases_in_db": Case.objects.count(),
        "all_tasks_in_db": Task.objects.count(),
    }


def task_list(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sanscouture.accounts.services import agent_create
    from sanscouture.bodies.models import Body
    from sanscouture.cases.models import TaskStatus
    from sanscouture.cases.selectors import tasks_for

    today = timezone.localdate()
    agent, _ = agent_create(username="bench-agent-caf", password=None, body=Body.objects.get(key=BUSY_BODY))
    due_before = today + timedelta(days=30)
    budget = args.list_budget
    page = lambda: list(tasks_for(user=agent)[:50])  # noqa: E731
    filtered = lambda: list(tasks_for(user=agent, status=TaskStatus.TODO, due_before=due_before)[:50])  # noqa: E731
    count = lambda: tasks_for(user=agent).count()  # noqa: E731
    base_qs = Body.objects.filter(kind="mairie", active=True).select_related("commune").order_by("pk")
    base_page = lambda: list(base_qs[:50])  # noqa: E731
    base_count = lambda: base_qs.count()  # noqa: E731
    found = {
        "page_rows": len(page()),
        "filtered_rows": len(filtered()),
        "filtered_total": tasks_for(user=agent, status=TaskStatus.TODO, due_before=due_before).count(),
        "count": count(),
        "baseline_count": base_count(),
    }
    measures = {}
    for name, fn in (
        ("page", page),
        ("filtered", filtered),
        ("count", count),
        ("baseline_page", base_page),
        ("baseline_count", base_count),
    ):
        measures[name] = stats(timed_runs(fn, reps=args.repeat, budget_s=budget))
    # Diagnostic: the same list without the join through memberships (hence without DISTINCT).
    from sanscouture.accounts.models import Membership
    from sanscouture.cases.models import Task

    alt_qs = (
        Task.objects.filter(body__in=Membership.objects.filter(user=agent).values("body_id"))
        .select_related("case", "case__commune", "body")
        .order_by("due_date", "pk")
    )
    alt_page = lambda: list(alt_qs[:50])  # noqa: E731
    alt_count = lambda: alt_qs.count()  # noqa: E731
    same = [t.pk for t in alt_page()] == [t.pk for t in page()] and alt_count() == found["count"]
    diagnostic = {
        "same_rows": same,
        "page": stats(timed_runs(alt_page, reps=args.repeat, budget_s=budget / 2)),
        "count": stats(timed_runs(alt_count, reps=args.repeat, budget_s=budget / 2)),
    }
    plans = {}
    for name, qs in (
        ("page", tasks_for(user=agent)[:50]),
        ("filtered", tasks_for(user=agent, status=TaskStatus.TODO, due_before=due_before)[:50]),
        ("count", tasks_for(user=agent)),
        ("diagnostic_page", alt_qs[:50]),
    ):
        with CaptureQueriesContext(connection) as q:
            if name.endswith("count"):
                qs.count()
            else:
                list(qs)
        sql = q.captured_queries[-1]["sql"]
        with connection.cursor() as cur:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
            cur.execute(prefix + sql)
            rows = cur.fetchall()
        plans[name] = {
            "sql": sql,
            "plan": [" ".join(str(x) for x in r) if connection.vendor == "sqlite" else r[0] for r in rows],
        }
    if args.profile:
        import cProfile

        for name, fn in (("page", page), ("count", count)):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                fn()
            profiler.disable()
            print_profile(profiler, f"liste des tâches « {name} » × 10 ({connection.vendor})", n=15)
    return {
        "due_before": due_before.isoformat(),
        **found,
        "timings": measures,
        "diagnostic_without_distinct": diagnostic,
        "plans": plans,
    }


def run_one(backend: str, database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    from _common import django_setup

    django_setup(database_url, data_dir)
    from django.db import connection

    setup = prepare(backend)
    codes = current_commune_codes()
    result: dict[str, object] = {"backend": backend, "vendor": connection.vendor, "setup": setup}
    print(f"[{backend}] déclarations…", file=sys.stderr, flush=True)
    result["declarations"] = throughput(args, codes)
    if args.declarations_only:
        return result
    print(f"[{backend}] {args.list_cases:,} dossiers en bulk…", file=sys.stderr, flush=True)
    result["bulk"] = bulk_cases(args, codes)
    print(f"[{backend}] liste des tâches…", file=sys.stderr, flush=True)
    result["task_list"] = task_list(args)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            result["server"] = cur.fetchone()[0]
    return result


# --------------------------------------------------------------------------- parent: orchestration, report
def child_args(args: argparse.Namespace) -> list[str]:
    out = [
        "--cases", str(args.cases),
        "--list-cases", str(args.list_cases),
        "--busy-share", str(args.busy_share),
        "--repeat", str(args.repeat),
        "--list-budget", str(args.list_budget),
        "--chunk", str(args.chunk),
        "--task-insert", args.task_insert,
        "--sample-communes", str(args.sample_communes),
    ]  # fmt: skip
    return out + (["--profile"] if args.profile else []) + (["--declarations-only"] if args.declarations_only else [])


def child(backend: str, database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", backend, "--database-url", database_url, "--data-dir", str(data_dir)]
    proc = subprocess.run(
        cmd + child_args(args), capture_output=True, text=True, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"{backend}: le sous-processus a échoué (code {proc.returncode})\n{proc.stdout[-3000:]}")


def sqlite_run(args: argparse.Namespace) -> dict[str, object]:
    from bench_routing import loaded_db

    source = loaded_db()
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-cases-"))
    try:
        db = tmp / "cases.sqlite3"
        copy_db(source, db)
        return child("sqlite", f"sqlite:///{db}", tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def postgres_run(admin_url: str, args: argparse.Namespace) -> dict[str, object] | str:
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure means: skip PostgreSQL)
        return f"PostgreSQL injoignable ({admin_url}) : {str(exc).strip().splitlines()[0]} — PostgreSQL ignoré."
    parts = urlsplit(admin_url)
    name = f"sanscouture_bench_cases_{os.getpid()}"
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    tmp = Path(tempfile.mkdtemp(prefix="sc-bench-cases-pg-"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return child("postgres", bench_url, tmp, args)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def verdict(ok: bool) -> str:
    return "OK" if ok else "AU-DELÀ DE LA CIBLE"


def show(r: dict[str, object]) -> None:
    d, b, tl = r["declarations"], r.get("bulk"), r.get("task_list")
    setup = ", ".join(f"{k} {v:.1f} s" for k, v in r["setup"].items())  # type: ignore[union-attr]
    print(f"\n[{r['backend']}] préparation (non comptée) : {setup}")
    print(
        f"  1. declaration_submit « Je déménage », {d['declarations']} déclarations "
        f"({d['agents_created']} agents créés d'abord : une notification + un e-mail en outbox par tâche)"
    )
    print(
        f"     {d['cases_per_s']:7.1f} dossiers/s   {d['tasks_per_case']:.1f} tâches/dossier   "
        f"médiane {d['submit']['p50_ms']:.1f} ms   p95 {d['submit']['p95_ms']:.1f} ms   "
        f"{d['queries_per_declaration']} requêtes SQL/déclaration   "
        f"CPU de ce processus {d.get('client_cpu_ms_per_declaration', float('nan')):.1f} ms/déclaration"
    )
    base_ms = d["baseline_journey_compute_x2"]["p50_ms"]
    print(
        f"     référence journey_compute × 2 (arrivée + départ) : médiane {base_ms:.1f} ms"
        f" ({1000 / d['baseline_mean_ms']:.1f}/s)   déclaration ÷ lecture : {d['ratio_submit_to_read']:.2f} × "
        f"(moyennes), {d['ratio_submit_to_read_p50']:.2f} × (médianes)"
    )
    db = d["baseline_database_only"]
    print(
        f"     référence base seule ({db['round_trips']} allers-retours triviaux + 1 INSERT, une transaction) : "
        f"médiane {db['p50_ms']:.2f} ms ({1000 / db['p50_ms']:.0f}/s)   déclaration ÷ base : "
        f"{d['ratio_submit_to_database_p50']:.2f} × (médianes)"
    )
    if r["backend"] == "sqlite":
        ok = verdict(d["cases_per_s"] >= TARGET_CASES_PER_S)
        print(f"     cible (notée ici, pas dans l'issue) ≥ {TARGET_CASES_PER_S:.0f}/s : {ok}")
    else:
        ok = verdict(d["cases_per_s"] >= TARGET_PG_CASES_PER_S and d["queries_per_declaration"] <= MAX_QUERIES)
        print(f"     cible (issue 16) ≥ {TARGET_PG_CASES_PER_S:.0f}/s et ≤ {MAX_QUERIES} requêtes : {ok}")
    if b is None or tl is None:
        return
    print(
        f"  2. {b['cases']:,} dossiers, {b['tasks']:,} tâches ({b['tasks_per_case']:.1f}/dossier) insérés "
        f"({b['task_insert']}) en {b['insert_s']:.1f} s ({b['insert_rows_per_s']:,.0f} lignes/s), "
        f"sur {b['bodies_with_tasks']:,} structures ; {b['busy_body']} : {b['busy_body_tasks']:,} tâches "
        f"({100 * b['busy_share']:.1f} %)"
    )
    print(
        f"     agent de {b['busy_body']} : {tl['count']:,} tâches ; filtre « à faire, échéance ≤ {tl['due_before']} » :"
        f" {tl['filtered_total']:,}"
    )
    base = tl["timings"]
    for name, label in (("page", "1re page (50)"), ("filtered", "filtrée (50)"), ("count", ".count()")):
        m = base[name]
        ref = base["baseline_count" if name == "count" else "baseline_page"]
        print(
            f"     {label:<14} p50 {m['p50_ms']:7.2f} ms   p95 {m['p95_ms']:7.2f} ms   (n={m['n']})   "
            f"référence Body p50 {ref['p50_ms']:6.2f} ms → {m['p50_ms'] / ref['p50_ms']:5.1f} ×   "
            f"cible p95 < {TARGET_LIST_P95_MS:.0f} ms : {verdict(m['p95_ms'] < TARGET_LIST_P95_MS)}"
        )
    dg = tl["diagnostic_without_distinct"]
    print(
        f"     diagnostic (pas le code du produit) : même liste sans la jointure des adhésions ni DISTINCT "
        f"(body__in=sous-requête), mêmes lignes : {'oui' if dg['same_rows'] else 'NON'} — "
        f"1re page p50 {dg['page']['p50_ms']:.2f} ms, .count() p50 {dg['count']['p50_ms']:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serveur PostgreSQL (base d'administration) à utiliser")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite seulement")
    parser.add_argument("--profile", action="store_true", help="cProfile des déclarations et de la liste")
    parser.add_argument("--cases", type=int, default=200, help="déclarations chronométrées par base")
    parser.add_argument("--list-cases", type=int, default=100_000, help="dossiers insérés en bulk pour la liste")
    parser.add_argument("--busy-share", type=float, default=0.025, help="part des tâches de la CAF du Nord")
    parser.add_argument("--repeat", type=int, default=60, help="mesures par requête de la liste (au plus)")
    parser.add_argument("--list-budget", type=float, default=6.0, help="secondes au plus par requête de la liste")
    parser.add_argument(
        "--task-insert",
        choices=("copy", "bulk_create"),
        default="copy",
        help="lignes Task : COPY / executemany (défaut) ou bulk_create de Django (≈ 11 500 lignes/s : ≈ 2 min)",
    )
    parser.add_argument("--chunk", type=int, default=2000, help="dossiers par transaction de l'insertion")
    parser.add_argument("--sample-communes", type=int, default=600, help="communes dont on calcule le plan")
    parser.add_argument(
        "--declarations-only", action="store_true", help="débit des déclarations seulement (pas la liste des tâches)"
    )
    parser.add_argument("--one", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        result = run_one(args.one, args.database_url, Path(args.data_dir), args)
        print(MARKER + json.dumps(result, default=str))
        return

    print_header("Dossiers partagés : débit des déclarations, liste des tâches à 100 000 dossiers")
    started = time.perf_counter()
    results: dict[str, object] = {
        "targets_noted_here": {"sqlite_cases_per_s": TARGET_CASES_PER_S, "task_list_p95_ms": TARGET_LIST_P95_MS},
        "params": {k: v for k, v in vars(args).items() if k not in ("one", "database_url", "data_dir")},
    }
    sqlite = sqlite_run(args)
    results["sqlite"] = sqlite
    show(sqlite)
    if not args.no_postgres:
        url = args.postgres or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
        pg = postgres_run(url, args)
        if isinstance(pg, str):
            print("\n" + pg)
            results["postgres"] = {"skipped": pg}
        else:
            results["postgres"] = pg
            show(pg)
            print(
                f"  PostgreSQL / SQLite, déclarations : "
                f"{pg['declarations']['cases_per_s'] / sqlite['declarations']['cases_per_s']:.2f} ×"
            )
    results["total_s"] = time.perf_counter() - started
    path = write_results("cases", results)
    print(f"\nDurée totale {results['total_s']:.0f} s. Résultats : {path} (plans EXPLAIN dedans)")


if __name__ == "__main__":
    main()
