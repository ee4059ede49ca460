"""The real worker process (`sanscouture notifications travailler` / `db_worker`) on its own database.

The test database of pytest-django is not visible to another process (in-memory SQLite), so these tests drive
a separate database through `python -m tests.notifications.scenario` and read the file-based mailbox.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import EMAIL

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Site:
    tmp: Path
    env: dict[str, str]

    @property
    def mailbox(self) -> Path:
        return self.tmp / "mail"

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60, logs: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        if logs:  # a command's output is a log: no address in it
            assert not EMAIL.search(done.stdout + done.stderr), "adresse e-mail dans la sortie du processus"
        return done.stdout

    def manage(self, *args: str, **kwargs) -> str:  # noqa: ANN003
        return self.run("-m", "sanscouture.cli", *args, **kwargs)

    def scenario(self, *args: str) -> dict:
        return json.loads(self.run("-m", "tests.notifications.scenario", *args, logs=False) or "null")

    def worker(self, *, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "sanscouture.cli", "notifications", "travailler", "--interval", "0.2"],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def delivered(self) -> Counter:
        """Message-ID → number of messages in the mailbox (one file per connection, messages appended)."""
        ids: Counter = Counter()
        for path in self.mailbox.glob("*.log") if self.mailbox.exists() else []:
            ids.update(re.findall(r"^Message-ID: (<[^>]+>)$", path.read_text(), flags=re.MULTILINE))
        return ids

    def wait_for(self, predicate, timeout: float = 30) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "délai dépassé"
            time.sleep(0.2)


def _database(tmp: Path) -> tuple[str, object]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'worker.sqlite3'}", None
    import psycopg

    base, name = url.rsplit("/", 1)
    db = f"{name}_notif_test"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')

    def drop() -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    return f"{base}/{db}", drop


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("notifications")
    url, drop = _database(tmp)
    env = {
        **os.environ,
        "SANSCOUTURE_DATA_DIR": str(tmp),
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SANSCOUTURE_OUTBOX_LEASE": "2",
        "SANSCOUTURE_OUTBOX_SWEEP": "0.5",
    }
    site = Site(tmp=tmp, env=env)
    site.manage("migrate", "-v0")
    try:
        yield site
    finally:
        if drop:
            drop()  # type: ignore[operator]


def _stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=20)
    assert not EMAIL.search(out), "adresse e-mail dans les journaux du travailleur"
    return out


def test_rolled_back_notify_leaves_nothing_for_the_worker(site):
    before = site.delivered()
    site.scenario("notify", "rollback", "3", "--rollback")
    state = site.scenario("state")
    assert state["outbox"] == [] and state["notifications"] == 0 and state["tasks"] == []
    site.manage("db_worker", "--batch", "--no-startup-delay")
    site.manage("notifications", "envoyer")
    assert site.delivered() == before


def test_db_worker_delivers_a_committed_notify_once_and_a_repeat_adds_nothing(site):
    site.scenario("notify", "commit", "3")
    rows = [r for r in site.scenario("state")["outbox"] if r["dedupe_key"].startswith("task-created:commit:")]
    assert [r["status"] for r in rows] == ["pending"] * 3
    site.manage("db_worker", "--batch", "--no-startup-delay")  # runs the task enqueued on commit
    delivered = site.delivered()
    assert all(delivered[r["message_id"]] == 1 for r in rows)

    site.scenario("notify", "commit", "3")  # same event again: nothing new
    site.manage("db_worker", "--batch", "--no-startup-delay")
    site.manage("notifications", "envoyer")
    assert site.delivered() == delivered
    state = site.scenario("state")
    mine = [r for r in state["outbox"] if r["dedupe_key"].startswith("task-created:commit:")]
    assert [(r["status"], r["attempts"]) for r in mine] == [("sent", 1)] * 3


def test_a_worker_killed_while_sending_is_replaced_and_each_email_goes_once(site):
    marker = site.tmp / "sending"
    site.scenario("notify", "kill", "4")
    slow = site.worker(
        env={
            "EMAIL_BACKEND": "tests.notifications.slowmail.SlowEmailBackend",
            "SLOWMAIL_MARKER": str(marker),
            "SLOWMAIL_SECONDS": "60",
        }
    )
    try:
        site.wait_for(marker.exists)
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.communicate(timeout=10)
    rows = [r for r in site.scenario("state")["outbox"] if r["dedupe_key"].startswith("task-created:kill:")]
    assert {r["status"] for r in rows} == {"sending"}  # claimed by the dead worker, none written
    assert not any(site.delivered()[r["message_id"]] for r in rows)

    worker = site.worker()  # its task queue has nothing ready (the dead one's task stays RUNNING): the sweep
    try:
        site.wait_for(lambda: all(site.delivered()[r["message_id"]] for r in rows))
        time.sleep(3)  # past another lease: nothing is sent twice
    finally:
        _stop(worker)
    delivered = site.delivered()
    assert [delivered[r["message_id"]] for r in rows] == [1] * 4
    rows = [r for r in site.scenario("state")["outbox"] if r["dedupe_key"].startswith("task-created:kill:")]
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 2)}


def test_a_running_worker_delivers_on_commit_and_stops_on_sigterm(site):
    worker = site.worker()
    try:
        site.scenario("notify", "live", "2")
        rows = [r for r in site.scenario("state")["outbox"] if r["dedupe_key"].startswith("task-created:live:")]
        site.wait_for(lambda: all(site.delivered()[r["message_id"]] for r in rows), timeout=20)
    finally:
        _stop(worker)
    assert worker.returncode == 0
    assert [site.delivered()[r["message_id"]] for r in rows] == [1, 1]
