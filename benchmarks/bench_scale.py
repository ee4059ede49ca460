"""Benchmark: the task list and the case page with 1,000,000 cases (about 12 M tasks) on PostgreSQL.

    .venv/bin/python benchmarks/bench_scale.py                   # 1,000,000 cases (≈ 15 min, ≈ 10 GB of disk)
    .venv/bin/python benchmarks/bench_scale.py --cases 50000     # a quick run
    .venv/bin/python benchmarks/bench_scale.py --postgres URL    # another server (its administration database)

Set-up (not measured as the product): a fresh database `sanscouture_bench_scale_<pid>` (dropped at the end),
migrated and loaded with the bundled national referential and catalogue. « Je déménage » plans (locataire, francais,
oui, salarie-du-secteur-prive) are computed with the product's own `journey_compute()` and grouping
(`cases.services._plan`) for a sample of communes (seed 42; 40 of them in the Nord), written to a scratch table;
then everything else is SQL on the server, not the ORM: `generate_series` draws each case's two communes (the Nord's
CAF gets ~2.5 % of all tasks, as in bench_cases.py), its age (0–2 years) and the tasks' statuses (older cases mostly
done), and `INSERT … SELECT` writes cases, their data and one task per body of the two plans (the arrival's
first). The secondary indexes of the three tables are dropped during the load and rebuilt after it (what a restore
does), foreign-key triggers are off during the load (`session_replication_role = replica`), then
`VACUUM ANALYZE` (what autovacuum does in production: statistics and the visibility map of index-only scans).

Measured, warm, through the product's selectors as the pages call them, by an agent of the CAF du Nord:
- task list: `list(tasks_for(user=agent)[:50])` (first page), the same filtered (« à faire », due within 30 days),
  and `tasks_for(user=agent).count()` (the paginator's count);
- case page: `case_view_for_agent(user=agent, public_id=…)` on 200 cases of the body drawn at random (it writes
  its access-log row, as the page does).
Baselines, same run: `Body.objects.filter(kind="mairie", active=True).select_related("commune")` first 50 by pk and
its `.count()` (a table of 35,000 rows), and `Task.objects.get(pk=…)` (one row by primary key in the big table).
Targets (issue 16): first page p95 ≤ 20 ms, count p95 ≤ 50 ms. The `EXPLAIN (ANALYZE, BUFFERS)` plans of each
query are in the results JSON.

Partitioning (ADR 026): with `--partition-experiment` the task table is also copied into a table partitioned by
the département of the task's body (LIST, one partition per département), with the same indexes, and the same page
and count run on it in SQL (the ORM models one table), beside the same SQL on the real table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_POSTGRES,
    current_commune_codes,
    django_setup,
    median,
    percentile,
    print_header,
    write_results,
)
from bench_cases import LIFE_EVENT, MOVE, VALUES  # noqa: E402 (the same declaration as the throughput bench)

BUSY_DEPARTEMENT = "59"
BUSY_BODY = f"caf:{BUSY_DEPARTEMENT}"
TARGET_PAGE_P95_MS = 20.0
TARGET_COUNT_P95_MS = 50.0
TABLES = ("cases_task", "cases_case", "cases_casedata")


def timed(fn, *, reps: int, budget_s: float, warmup: int = 3) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Wall-clock times and this process's CPU times (ms): their difference is waiting (PostgreSQL, network, and
    on a loaded machine the scheduler)."""
    for _ in range(warmup):
        fn()
    out: list[float] = []
    cpu: list[float] = []
    start = time.perf_counter()
    while len(out) < reps and (time.perf_counter() - start < budget_s or len(out) < 20):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return out, cpu


def stats(measured: tuple[list[float], list[float]]) -> dict[str, float]:
    ms, cpu = measured
    return {
        "n": len(ms),
        "p50_ms": median(ms),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "client_cpu_p50_ms": median(cpu),
    }


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- set-up
def prepare() -> dict[str, float]:
    from django.core.management import call_command

    from sanscouture.catalogue.importers import catalogue_load_bundled
    from sanscouture.competences.services import referential_load

    out = {}
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out["migrate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    referential_load()
    out["referential_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    catalogue_load_bundled()
    out["catalogue_load_s"] = time.perf_counter() - t
    return out


def write_plans(args: argparse.Namespace) -> dict[str, object]:
    """The « Je déménage » plans of a sample of communes, by the product's code, into scratch tables."""
    from django.db import connection
    from django.utils import timezone

    from sanscouture.cases.fields import due_days
    from sanscouture.cases.services import _plan  # the service's own grouping of steps by body
    from sanscouture.journeys.selectors import journey_compute
    from sanscouture.territories.models import Commune

    today = timezone.localdate()
    codes = current_commune_codes()
    rng = random.Random(42)
    busy = rng.sample([c for c in codes if c.startswith(BUSY_DEPARTEMENT)], 40)
    others = rng.sample([c for c in codes if not c.startswith(BUSY_DEPARTEMENT)], args.sample_communes)
    names = dict(Commune.objects.current().filter(insee_code__in=busy + others).values_list("insee_code", "name"))
    slots, plan_rows, title, life_event = [], [], "", ""
    tasks_per_plan = []
    for slot, code in enumerate(busy + others):
        journey = journey_compute(life_event=LIFE_EVENT, choices=MOVE, commune=code, on=today)
        title, life_event = journey.life_event.publication.title, journey.life_event.publication_id
        slots.append((slot, journey.commune.pk))
        planned = _plan(journey, "x")
        tasks_per_plan.append(len(planned))
        for p in planned.values():
            action = "Traiter les étapes du parcours qui relèvent de votre structure : " + " ; ".join(p.steps)
            plan_rows.append(
                (slot, p.body_id, p.pivot, json.dumps(p.steps), title, action, f"Départ de la commune : {names[code]}",
                 due_days(p.pivot))
            )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("CREATE UNLOGGED TABLE bench_slot (slot int PRIMARY KEY, commune_id bigint)")
        cur.execute(
            "CREATE UNLOGGED TABLE bench_plan (slot int, body_id bigint, pivot text, steps jsonb, title text, "
            "action text, title_dep text, due_days int)"
        )
        cur.executemany("INSERT INTO bench_slot VALUES (%s, %s)", slots)
        cur.executemany("INSERT INTO bench_plan VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", plan_rows)
        cur.execute("CREATE INDEX ON bench_plan (slot, body_id)")
        cur.execute("ANALYZE bench_slot; ANALYZE bench_plan")
    mean_tasks = sum(tasks_per_plan) / len(tasks_per_plan) * 2 * 0.97
    # P(an end of the move is in the Nord) so that its CAF holds ~busy_share of all tasks (as bench_cases.py).
    p_end = 1 - (1 - min(0.99, args.busy_share * mean_tasks)) ** 0.5
    return {
        "busy_slots": len(busy),
        "other_slots": len(others),
        "p_end": p_end,
        "title": title,
        "life_event": life_event,
        "plan_rows": len(plan_rows),
    }


def secondary_indexes(cur) -> list[tuple[str, str]]:  # noqa: ANN001
    """Indexes of the loaded tables that no constraint owns (those are dropped and rebuilt around the load)."""
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        """,
        [list(TABLES)],
    )
    return cur.fetchall()


def load(args: argparse.Namespace, plan: dict[str, object]) -> dict[str, object]:
    """1 M cases, their data and ≈ 12 M tasks, by SQL on the server."""
    from django.db import connection

    n, nb, no = args.cases, plan["busy_slots"], plan["other_slots"]
    pick = "CASE WHEN random() < {p} THEN floor(random() * {nb})::int ELSE {nb} + floor(random() * {no})::int END"
    pick = pick.format(p=plan["p_end"], nb=nb, no=no)
    out: dict[str, object] = {}
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
        indexes = secondary_indexes(cur)
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        t = time.perf_counter()
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            f"""CREATE UNLOGGED TABLE bench_gen AS
            SELECT g AS id, a AS a_slot, CASE WHEN d = a THEN mod(d + 1, {nb + no}) ELSE d END AS d_slot, age
            FROM (SELECT g, {pick} AS a, {pick} AS d, floor(random() * 730)::int AS age
                  FROM generate_series(1, %s) g) s""",  # noqa: S608 (numbers computed here, no input)
            [n],
        )
        cur.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        offset = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO cases_case (id, public_id, life_event, life_event_title, choices, commune_id,
                   commune_from_id, status, person_token_hash, created_at)
               SELECT %s + g.id, gen_random_uuid(), %s, %s, %s::jsonb, a.commune_id, d.commune_id, 'open',
                   encode(sha256(('bench-scale:' || g.id)::bytea), 'hex'), now() - g.age * interval '1 day'
               FROM bench_gen g JOIN bench_slot a ON a.slot = g.a_slot JOIN bench_slot d ON d.slot = g.d_slot""",
            [offset, plan["life_event"], plan["title"], json.dumps(MOVE)],
        )
        cur.execute(
            'INSERT INTO cases_casedata (case_id, "values") SELECT %s + id, %s::jsonb FROM bench_gen',
            [offset, json.dumps(VALUES)],
        )
        out["cases_s"] = time.perf_counter() - t
        t = time.perf_counter()
        status = """CASE WHEN age > 90 THEN (CASE WHEN r < .85 THEN 'done' WHEN r < .90 THEN 'not_applicable'
                                                  WHEN r < .96 THEN 'todo' ELSE 'in_progress' END)
                         ELSE (CASE WHEN r < .55 THEN 'todo' WHEN r < .80 THEN 'in_progress' ELSE 'done' END) END"""
        cur.execute(
            f"""INSERT INTO cases_task (case_id, body_id, pivot, title, expected_action, steps, commune_role,
                   due_date, status, status_reason, created_at, updated_at)
               SELECT case_id, body_id, pivot, title, action, steps, role, due_date, st,
                   CASE WHEN st = 'not_applicable' THEN 'Déjà fait par la personne' ELSE '' END, now(), now()
               FROM (SELECT *, {status} AS st FROM (
                   SELECT %s + g.id AS case_id, p.body_id, p.pivot, p.title, p.action, p.steps, 'arrivee' AS role,
                       current_date - g.age + p.due_days AS due_date, g.age, random() AS r
                   FROM bench_gen g JOIN bench_plan p ON p.slot = g.a_slot
                   UNION ALL
                   SELECT %s + g.id, p.body_id, p.pivot, p.title_dep, 'La personne quitte votre territoire : '
                       || 'mettre à jour ou clore son dossier.', p.steps, 'depart',
                       current_date - g.age + p.due_days, g.age, random()
                   FROM bench_gen g JOIN bench_plan p ON p.slot = g.d_slot
                   WHERE NOT EXISTS (SELECT 1 FROM bench_plan q WHERE q.slot = g.a_slot AND q.body_id = p.body_id)
               ) rows) ranked""",  # noqa: S608 (constant SQL)
            [offset, offset],
        )
        out["tasks_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        out["indexes_s"] = time.perf_counter() - t
        out["indexes_rebuilt"] = [name for name, _ in indexes]
        t = time.perf_counter()
        cur.execute(
            """UPDATE cases_case c SET status = 'closed', closed_at = now() WHERE id > %s AND NOT EXISTS
               (SELECT 1 FROM cases_task t WHERE t.case_id = c.id AND t.status IN ('todo', 'in_progress'))""",
            [offset],
        )
        out["closed_cases"] = cur.rowcount
        cur.execute("SET session_replication_role = origin")
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
        cur.execute("DROP TABLE bench_gen")
        # The whole database, referential included (what autovacuum does on its own): without statistics on the
        # referential's tables the planner picks poor plans for the baseline's joins.
        cur.execute("VACUUM ANALYZE")
        out["close_and_vacuum_s"] = time.perf_counter() - t
        cur.execute("SELECT count(*) FROM cases_case")
        out["cases"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cases_task")
        out["tasks"] = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT body_id) FROM cases_task")
        out["bodies_with_tasks"] = cur.fetchone()[0]
        cur.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('cases_task')), "
            "pg_size_pretty(pg_total_relation_size('cases_case')), pg_size_pretty(pg_database_size(current_database()))"
        )
        out["size_tasks"], out["size_cases"], out["size_database"] = cur.fetchone()
    return out


# --------------------------------------------------------------------------- measures
def explain(sql: str, params: object = None) -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [r[0] for r in cur.fetchall()]


def last_query_plan(fn) -> dict[str, object]:  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as q:
        fn()
    plans = []
    server_ms = 0.0
    for query in q.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plan = explain(sql)
            server_ms += sum(
                float(line.split(":")[1].split()[0])
                for line in plan
                if line.startswith(("Planning Time", "Execution Time"))
            )
            plans.append({"sql": sql, "plan": plan})
    # What PostgreSQL itself spends on the reads (planning + execution): what grows, or not, with the tables.
    return {"queries": len(q.captured_queries), "server_read_ms": server_ms, "plans": plans}


def measure(args: argparse.Namespace) -> dict[str, object]:
    from django.db import connection
    from django.utils import timezone

    from sanscouture.accounts.services import agent_create
    from sanscouture.bodies.models import Body
    from sanscouture.cases.models import Task, TaskStatus
    from sanscouture.cases.selectors import case_view_for_agent, tasks_for

    busy = Body.objects.get(key=BUSY_BODY)
    agent, _ = agent_create(username="bench-scale-caf", password=None, body=busy)
    due_before = timezone.localdate() + timedelta(days=30)
    rng = random.Random(7)
    case_ids = list(
        Task.objects.filter(body=busy).order_by("?").values_list("case__public_id", flat=True)[: args.case_sample]
    )
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM cases_task")
        lo, hi = cur.fetchone()

    def page() -> list:
        return list(tasks_for(user=agent)[:50])

    def filtered() -> list:
        return list(tasks_for(user=agent, status=TaskStatus.TODO, due_before=due_before)[:50])

    def count() -> int:
        return tasks_for(user=agent).count()

    def case_page() -> object:
        return case_view_for_agent(user=agent, public_id=str(rng.choice(case_ids)))

    base_qs = Body.objects.filter(kind="mairie", active=True).select_related("commune").order_by("pk")

    def base_page() -> list:
        return list(base_qs[:50])

    def base_count() -> int:
        return base_qs.count()

    def base_task() -> object:
        return Task.objects.filter(pk=rng.randint(lo, hi)).first()

    found = {
        "busy_body_tasks": count(),
        "page_rows": len(page()),
        "filtered_total": tasks_for(user=agent, status=TaskStatus.TODO, due_before=due_before).count(),
        "case_sample": len(case_ids),
    }
    timings = {}
    for name, fn in (
        ("page", page),
        ("filtered", filtered),
        ("count", count),
        ("case_page", case_page),
        ("baseline_body_page", base_page),
        ("baseline_body_count", base_count),
        ("baseline_task_by_pk", base_task),
    ):
        log(f"mesure {name}")
        timings[name] = stats(timed(fn, reps=args.repeat, budget_s=args.budget))
    plans = {
        "page": last_query_plan(page),
        "filtered": last_query_plan(filtered),
        "count": last_query_plan(count),
        "case_page": last_query_plan(case_page),
    }
    return {"due_before": due_before.isoformat(), **found, "timings": timings, "plans": plans}


def partition_experiment(args: argparse.Namespace) -> dict[str, object]:
    """The task table copied into one partitioned by the département of the task's body: same page and count."""
    from django.db import connection

    from sanscouture.bodies.models import Body

    busy = Body.objects.get(key=BUSY_BODY).pk
    out: dict[str, object] = {}
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        t = time.perf_counter()
        cur.execute(
            """CREATE UNLOGGED TABLE bench_body_dep AS SELECT b.id AS body_id,
                   coalesce(b.departement_id, c.departement_id, 'r' || b.region_id, '00') AS dep
               FROM bodies_body b LEFT JOIN territories_commune c ON c.id = b.commune_id"""
        )
        cur.execute("SELECT DISTINCT dep FROM bench_body_dep")
        deps = [r[0] for r in cur.fetchall()]
        cur.execute(
            "CREATE UNLOGGED TABLE task_part (LIKE cases_task INCLUDING DEFAULTS, dep text NOT NULL) "
            "PARTITION BY LIST (dep)"
        )
        for i, dep in enumerate(deps):
            cur.execute(f"CREATE UNLOGGED TABLE task_part_{i} PARTITION OF task_part FOR VALUES IN (%s)", [dep])
        cur.execute(
            "INSERT INTO task_part SELECT t.*, bd.dep FROM cases_task t "
            "JOIN bench_body_dep bd ON bd.body_id = t.body_id"
        )
        cur.execute("CREATE INDEX ON task_part (body_id, due_date, id)")
        cur.execute("CREATE INDEX ON task_part (body_id, status, due_date)")
        cur.execute("VACUUM ANALYZE task_part")
        out["build_s"] = time.perf_counter() - t
        out["partitions"] = len(deps)
        cur.execute("SELECT dep FROM bench_body_dep WHERE body_id = %s", [busy])
        dep = cur.fetchone()[0]

    def run(sql: str, params: list) -> object:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    page_sql = (
        "SELECT t.*, c.* FROM {table} t JOIN cases_case c ON c.id = t.case_id WHERE t.body_id = %s{dep} "
        "ORDER BY t.due_date, t.id LIMIT 50"
    )
    count_sql = "SELECT count(*) FROM {table} t WHERE t.body_id = %s{dep}"
    variants = {
        "table": ("cases_task", "", [busy]),
        "partitioned, département unknown to the query": ("task_part", "", [busy]),
        "partitioned, département in the query (pruned)": ("task_part", " AND t.dep = %s", [busy, dep]),
    }
    for label, (table, extra, params) in variants.items():
        page, cnt = page_sql.format(table=table, dep=extra), count_sql.format(table=table, dep=extra)
        out[label] = {
            "page": stats(timed(lambda page=page, params=params: run(page, params), reps=args.repeat, budget_s=4)),
            "count": stats(timed(lambda cnt=cnt, params=params: run(cnt, params), reps=args.repeat, budget_s=4)),
            "page_plan": explain(page, params),
            "count_plan": explain(cnt, params),
        }
    with connection.cursor() as cur:
        cur.execute("DROP TABLE task_part; DROP TABLE bench_body_dep")
    return out


# --------------------------------------------------------------------------- report
def verdict(ok: bool) -> str:
    return "OK" if ok else "AU-DELÀ DE LA CIBLE"


def show(r: dict[str, object]) -> None:
    ld, m = r["load"], r["measures"]
    print(
        f"\n{ld['cases']:,} dossiers, {ld['tasks']:,} tâches ({ld['tasks'] / ld['cases']:.1f}/dossier) sur "
        f"{ld['bodies_with_tasks']:,} structures ; tâches {ld['size_tasks']}, dossiers {ld['size_cases']}, "
        f"base {ld['size_database']}"
    )
    print(
        f"chargement (non compté) : dossiers {ld['cases_s']:.0f} s, tâches {ld['tasks_s']:.0f} s, index "
        f"{ld['indexes_s']:.0f} s, clôtures + VACUUM ANALYZE {ld['close_and_vacuum_s']:.0f} s"
    )
    print(f"agent de {BUSY_BODY} : {m['busy_body_tasks']:,} tâches ; à faire sous 30 jours : {m['filtered_total']:,}")
    t = m["timings"]
    rows = (
        ("page", "1re page (50)", "baseline_body_page", TARGET_PAGE_P95_MS),
        ("filtered", "filtrée (50)", "baseline_body_page", TARGET_PAGE_P95_MS),
        ("count", ".count()", "baseline_body_count", TARGET_COUNT_P95_MS),
        ("case_page", "page du dossier", "baseline_task_by_pk", TARGET_PAGE_P95_MS),
    )
    for key, label, base, target in rows:
        x, b = t[key], t[base]
        pl = m["plans"][key]
        print(
            f"  {label:<16} p50 {x['p50_ms']:7.2f} ms  p95 {x['p95_ms']:7.2f} ms  (n={x['n']}, CPU client p50 "
            f"{x['client_cpu_p50_ms']:.2f} ms, {pl['queries']} requêtes, lecture PostgreSQL "
            f"{pl['server_read_ms']:.2f} ms)  "
            f"référence {base} p50 {b['p50_ms']:.2f} ms → {x['p50_ms'] / b['p50_ms']:.1f} ×  "
            f"cible p95 ≤ {target:.0f} ms : {verdict(x['p95_ms'] <= target)}"
        )
    if "partition" in r:
        p = r["partition"]
        print(f"partitionnement par département de la structure ({p['partitions']} partitions, {p['build_s']:.0f} s) :")
        for label, v in p.items():
            if isinstance(v, dict):
                print(f"  {label:<48} page p50 {v['page']['p50_ms']:.2f} ms, count p50 {v['count']['p50_ms']:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serveur PostgreSQL (base d'administration)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="dossiers générés (1 000 000)")
    parser.add_argument("--busy-share", type=float, default=0.025, help="part des tâches de la CAF du Nord")
    parser.add_argument("--sample-communes", type=int, default=600, help="communes dont on calcule le plan")
    parser.add_argument("--repeat", type=int, default=200, help="mesures par requête (au plus)")
    parser.add_argument("--budget", type=float, default=8.0, help="secondes au plus par requête")
    parser.add_argument("--case-sample", type=int, default=200, help="dossiers ouverts tour à tour")
    parser.add_argument("--partition-experiment", action="store_true", help="mesurer une table partitionnée")
    parser.add_argument("--keep", action="store_true", help="ne pas supprimer la base à la fin")
    args = parser.parse_args()

    import psycopg

    admin = args.postgres or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
    name = f"sanscouture_bench_scale_{os.getpid()}"
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    print_header(f"Passage à l'échelle : {args.cases:,} dossiers sur PostgreSQL")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    try:
        django_setup(url, Path(tempfile.mkdtemp(prefix="sc-bench-scale-")))
        from django.db import connection

        results: dict[str, object] = {
            "targets": {"page_p95_ms": TARGET_PAGE_P95_MS, "count_p95_ms": TARGET_COUNT_P95_MS},
            "params": vars(args),
        }
        log("migrations, référentiel, catalogue")
        results["setup"] = prepare()
        log("plans « Je déménage »")
        plan = write_plans(args)
        results["plan"] = {k: v for k, v in plan.items() if k not in ("title",)}
        log(f"génération de {args.cases:,} dossiers (SQL)")
        results["load"] = load(args, plan)
        log("mesures")
        results["load_average_before"] = os.getloadavg()
        results["measures"] = measure(args)
        results["load_average_after"] = os.getloadavg()
        if args.partition_experiment:
            log("expérience de partitionnement")
            results["partition"] = partition_experiment(args)
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            results["server"] = cur.fetchone()[0]
            cur.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', "
                "'effective_cache_size', 'max_parallel_workers_per_gather', 'random_page_cost')"
            )
            results["server_settings"] = dict(cur.fetchall())
        connection.close()
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["total_s"] = time.perf_counter() - started
    show(results)
    path = write_results("scale", results)
    print(f"\nDurée totale {results['total_s']:.0f} s. Résultats : {path} (plans EXPLAIN dedans)")


if __name__ == "__main__":
    main()
