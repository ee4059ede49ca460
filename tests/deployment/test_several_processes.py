"""What a département or a région runs: two `sanscouture serve` instances on two ports and two task workers against
one PostgreSQL database (docs/deployment.md). The processes share nothing but the database:

- a hand-over accepted at once through both instances: exactly one decision wins, the other gets the API's 409;
- a competence declaration made through one instance is answered by the other once its routing index has looked at
  the version row (every CHECK_EVERY_SECONDS, under one second);
- an e-mail of the outbox is delivered once, though two workers (queue and sweep) compete for it.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sanscouture.competences.routing import CHECK_EVERY_SECONDS
from tests.conftest import free_port, wait_healthy

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"),
    reason="plusieurs processus sur une base : PostgreSQL seulement (SQLite sert un seul serveur, ADR 026)",
)
SUBSET = Path(__file__).parent.parent / "fixtures" / "decoupage-subset.json.gz"
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]

# The database the processes share: the test subset of the referential, the catalogue, and API tokens of the
# bodies the scenarios need (printed as JSON for the test).
PREPARE = f"""
import json
from pathlib import Path
from django.contrib.auth import get_user_model
from sanscouture.accounts.services import api_token_create
from sanscouture.bodies.models import Body
from sanscouture.catalogue.importers import catalogue_load_bundled
from sanscouture.competences.services import referential_load
referential_load(path=Path({str(SUBSET)!r}))
catalogue_load_bundled()
admin = get_user_model().objects.create_user(username="admin-plusieurs", password=None)
def token(key, role="agent"):
    return api_token_create(body=Body.objects.get(key=key), name="test", role=role, created_by=admin)[1]
print(json.dumps({{
    "caf": token("caf:34"),
    "dep1": token("departement:34"),
    "dep2": token("departement:34"),
    "estuaire": token("epci:200072734", "referent"),
    "estuaire_id": Body.objects.get(key="epci:200072734").pk,
    "dep_id": Body.objects.get(key="departement:34").pk,
}}))
"""

NOTIFY = """
from django.contrib.auth import get_user_model
from django.db import transaction
from sanscouture.notifications.services import notify
user, _ = get_user_model().objects.get_or_create(username="agent-plusieurs", defaults={"email": "agent@exemple.fr"})
for n in range(%d):
    with transaction.atomic():
        notify(recipients=[user], kind="message", title=f"Nouveau message sur le dossier M{n:03d}", text="",
               url="/", case_ref=f"m{n:03d}", dedupe_key=f"plusieurs-{n}")
"""


def call(base: str, method: str, path: str, payload: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(payload).encode() if payload is not None else (b"{}" if method == "POST" else None)
    request = urllib.request.Request(base + "/api/v1" + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@dataclass
class Deployment:
    a: str  # base URL of the first instance
    b: str  # base URL of the second
    env: dict[str, str]
    tokens: dict
    data_dir: Path

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "sanscouture.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    import psycopg

    tmp = tmp_path_factory.mktemp("plusieurs")
    base, name = DATABASE_URL.rsplit("/", 1)
    database = f"{name}_plusieurs"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    port_a, port_b = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{database}",
        "SANSCOUTURE_DATA_DIR": str(tmp),  # one secret key and one mail folder for every process
        "SANSCOUTURE_BASE_URL": f"http://127.0.0.1:{port_a}",
        "PYTHONUNBUFFERED": "1",
        "SANSCOUTURE_ANON_WRITES_PER_ADDRESS": "1000000",
        "SANSCOUTURE_ANON_WRITES_GLOBAL": "1000000",
        "SANSCOUTURE_OUTBOX_SWEEP": "0.2",  # both workers' sweeps race the queue all the time
    }
    processes: list[tuple[subprocess.Popen, object]] = []

    def start(name: str, *args: str) -> tuple[subprocess.Popen, Path]:
        path = tmp / f"{name}.log"
        log = path.open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "sanscouture.cli", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        processes.append((proc, log))
        return proc, path

    try:
        deployment = Deployment(
            a=f"http://127.0.0.1:{port_a}", b=f"http://127.0.0.1:{port_b}", env=env, tokens={}, data_dir=tmp
        )
        deployment.manage("migrate", "--verbosity", "0")
        deployment.tokens = json.loads(deployment.manage("shell", "-c", PREPARE).strip().splitlines()[-1])
        # The web instances run no worker of their own: the two workers are separate processes, one of which
        # enqueues the periodic jobs (the production layout of docs/deployment.md).
        web = ("serve", "--sans-travailleur", "--workers", "2", "--threads", "2")
        proc_a, log_a = start("serve-a", *web, "--port", str(port_a))
        proc_b, log_b = start("serve-b", *web, "--port", str(port_b))
        start("worker-1", "notifications", "travailler", "--interval", "0.2")
        start("worker-2", "notifications", "travailler", "--interval", "0.2", "--sans-planification")
        wait_healthy(deployment.a, proc_a, log_a, seconds=120)
        wait_healthy(deployment.b, proc_b, log_b, seconds=120)
        yield deployment
    finally:
        for proc, _ in processes:
            proc.terminate()
        for proc, log in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()  # type: ignore[attr-defined]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_a_hand_over_accepted_through_both_instances_at_once_is_decided_once(deployment):
    t = deployment.tokens
    outcomes = []
    for run in range(5):
        person = {"nom": f"TEST Plusieurs {run} {uuid.uuid4().hex[:6]}", "numero_allocataire": "7654321"}
        status, case = call(
            deployment.a,
            "POST",
            "/dossiers",
            {"moment_de_vie": "je-demenage", "choix": MOVE, "commune": "34274", "donnees": person},
        )
        assert status == 201, case
        task = next(x for x in case["taches"] if x["structure"]["cle"] == "caf:34")
        status, handover = call(
            deployment.b,
            "POST",
            f"/taches/{task['id']}/orientations",
            {"structure": t["dep_id"], "motif": "FSL"},
            t["caf"],
        )
        assert status == 201, handover
        barrier, results = threading.Barrier(2), []

        def accept(base, token, barrier=barrier, results=results, url=f"/orientations/{handover['id']}/decision"):
            barrier.wait()
            results.append(call(base, "POST", url, {"decision": "acceptee"}, token))

        threads = [
            threading.Thread(target=accept, args=(deployment.a, t["dep1"])),
            threading.Thread(target=accept, args=(deployment.b, t["dep2"])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append(sorted(s for s, _ in results))
        assert outcomes[-1] == [200, 409], results
        assert next(r for s, r in results if s == 409)["erreur"]["code"] == "orientation_deja_traitee"
    assert outcomes == [[200, 409]] * 5


def test_a_declaration_through_one_instance_is_answered_by_the_other_within_one_second(deployment):
    assert CHECK_EVERY_SECONDS <= 0.5  # the promise of docs/deployment.md: another process follows within a second
    question = "/communes/44195/competences/eau-potable?date=2026-01-01"
    # Every worker of the second instance answers from its index, built before the declaration.
    for _ in range(6):
        status, before = call(deployment.b, "GET", question)
        assert status == 200 and before["raison"]["type"] != "declaration", before
    t = deployment.tokens
    status, data = call(
        deployment.a,
        "POST",
        "/declarations",
        {
            "structure": t["estuaire_id"],
            "competence": "eau-potable",
            "communes": ["44195"],
            "debut": "2025-06-01",
            "fondement": "statuts",
            "reference": "Statuts du 1er juin 2025",
        },
        t["estuaire"],
    )
    assert status == 201, data
    time.sleep(1.0)  # one second later, whichever worker of the other instance answers
    for _ in range(6):
        status, after = call(deployment.b, "GET", question)
        assert status == 200 and after["raison"]["type"] == "declaration", after
        assert after["structures"][0]["cle"] == "epci:200072734"


def test_an_outbox_e_mail_is_delivered_once_though_two_workers_run(deployment):
    count = 30
    deployment.manage("shell", "-c", NOTIFY % count)
    mailbox = deployment.data_dir / "mail"

    def subjects() -> list[str]:
        texts = [p.read_text() for p in mailbox.glob("*.log")] if mailbox.exists() else []
        return [s for t in texts for s in re.findall(r"^Subject: .*(M\d{3})$", t, flags=re.MULTILINE)]

    deadline = time.monotonic() + 60
    while len(set(subjects())) < count:
        assert time.monotonic() < deadline, f"les travailleurs n'ont pas tout envoyé : {sorted(set(subjects()))}"
        time.sleep(0.3)
    time.sleep(1.0)  # five more sweeps of each worker: nothing is sent twice
    sent = subjects()
    assert sorted(sent) == [f"M{n:03d}" for n in range(count)]
    out = deployment.manage(
        "shell",
        "-c",
        "from sanscouture.notifications.models import OutboxEmail; "
        "print(sorted(set(OutboxEmail.objects.values_list('status', flat=True))))",
    )
    assert out.strip().splitlines()[-1] == "['sent']"
