"""Shared fixtures: the test database holds a real subset of the official referential, loaded once.

`server` starts the real product (`sanscouture serve`, gunicorn) on its own database, loaded with the
full bundled referential, for HTTP and browser tests.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SUBSET = FIXTURES / "decoupage-subset.json.gz"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001, ANN201
    from sanscouture.catalogue.importers import catalogue_load_bundled
    from sanscouture.competences.services import referential_load

    with django_db_blocker.unblock():
        referential_load(path=SUBSET)
        catalogue_load_bundled()


@dataclass
class Referential:
    """Handles on the loaded referential, for readable tests."""

    def commune(self, code: str):  # noqa: ANN201
        from sanscouture.territories.models import Commune

        return Commune.objects.current().get(insee_code=code)

    def body(self, key: str):  # noqa: ANN201
        from sanscouture.bodies.models import Body

        return Body.objects.get(key=key)

    def agent(self, body_key: str, role: str = "admin", username: str | None = None):  # noqa: ANN201
        """An agent of the body with a confirmed TOTP device (log in with sanscouture.accounts.testing)."""
        from sanscouture.accounts.services import agent_create

        user, _ = agent_create(
            username=username or f"agent-{body_key}-{role}",
            password="motdepasse-solide-42",
            body=self.body(body_key),
            role=role,
        )
        return user

    def login(self, client, user):  # noqa: ANN001, ANN201
        """Log the Django test client in as `user`, second factor done."""
        from sanscouture.accounts.testing import login_verified

        return login_verified(client, user)


@pytest.fixture
def referential(db) -> Referential:  # noqa: ANN001
    from sanscouture.competences import routing

    routing._drop_local()  # each test sees the database as its transaction left it
    return Referential()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, *, seconds: float) -> None:
    """Until `sanscouture serve` at `url` answers /healthz; its log's end in the error if it stops or takes longer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:  # noqa: S310 (loopback)
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} n'a pas démarré :\n" + log.read_text()[-3000:])
        time.sleep(0.3)


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path | None = None  # the server's log (gunicorn, Django, the worker), read by the log hygiene tests

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run a `sanscouture` command against the server's database."""
        done = subprocess.run(
            [sys.executable, "-m", "sanscouture.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as resp:  # noqa: S310 (loopback)
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def _server_database(tmp: Path) -> tuple[str, object]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'server.sqlite3'}", None
    import psycopg

    base, name = url.rsplit("/", 1)
    server_db = f"{name}_http_test"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{server_db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{server_db}"')

    def drop() -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{server_db}" WITH (FORCE)')

    return f"{base}/{server_db}", drop


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    db_url, drop = _server_database(tmp)
    port = free_port()
    env = {
        **os.environ,
        "SANSCOUTURE_DATA_DIR": str(tmp),
        "DATABASE_URL": db_url,
        "PYTHONUNBUFFERED": "1",
        # Every HTTP test and the fuzzing share 127.0.0.1: the anonymous-write throttle is tested on its own
        # (tests/test_edge.py), not in the way of the others here.
        "SANSCOUTURE_ANON_WRITES_PER_ADDRESS": "1000000",
        "SANSCOUTURE_ANON_WRITES_GLOBAL": "1000000",
        # Webhook receivers of the browser tests listen on 127.0.0.1 (docs/adr/024).
        "SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sanscouture.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # a first start loads the national referential: slow on a busy machine
        wait_healthy(url, proc, tmp / "server.log", seconds=600)
        yield Server(url=url, env=env, log=tmp / "server.log")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if drop:
            drop()  # type: ignore[operator]
    leaks = log_leaks((tmp / "server.log").read_text())
    assert not leaks, f"données personnelles ou secrets dans le journal du serveur : {leaks[:5]}"


DEMO_PASSWORD = "demo-motdepasse-solide-42"


@pytest.fixture(scope="session")
def demo(server: Server) -> dict:
    """`sanscouture demo --json` on the server's database, once per run: the demo agents and API tokens."""
    # Hashing a dozen passwords is slow on a busy CI machine: a generous bound.
    return json.loads(server.manage("demo", "--json", "--mot-de-passe", DEMO_PASSWORD, timeout=600))


LEAKS = [
    re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}"),  # e-mail addresses
    re.compile(r"/(?:suivi|invitation)/(?!\*\*\*)[^/\s\"]{8,}"),  # follow-up and invitation tokens
    re.compile(r"\bsc_[A-Za-z0-9_-]{10,}"),  # API tokens
    re.compile(r"(?<![\w-])(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?![\w-])"),  # French phone numbers
    re.compile(  # NIR (numéro de sécurité sociale), with or without spaces and key
        r"(?<![\w-])[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![\w-])"
    ),
]


def log_leaks(text: str) -> list[str]:
    """Lines of a log that carry an e-mail address, a phone number, a NIR or a secret token (TRUST.md, log
    hygiene)."""
    return [line for line in text.splitlines() if any(p.search(line) for p in LEAKS)]
