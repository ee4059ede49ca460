"""`sanscouture serve` starts the task worker: a notify committed against the server's database is e-mailed."""

import re
import time
from pathlib import Path

NOTIFY = """
from django.contrib.auth import get_user_model
from django.db import transaction
from sanscouture.notifications.services import notify
user, _ = get_user_model().objects.get_or_create(username="agent-serve", defaults={"email": "agent-serve@exemple.fr"})
with transaction.atomic():
    notify(recipients=[user], kind="message", title="Nouveau message sur le dossier 5C1D", text="",
           url="/dossiers/5c1d/", case_ref="5c1d", dedupe_key="serve-worker-test")
"""


def test_serve_runs_the_worker_that_sends_the_outbox(server):
    server.manage("shell", "-c", NOTIFY)
    mailbox = Path(server.env["SANSCOUTURE_DATA_DIR"]) / "mail"
    deadline = time.monotonic() + 30
    while True:
        texts = [p.read_text() for p in mailbox.glob("*.log")] if mailbox.exists() else []
        if any("Nouveau message sur le dossier 5C1D" in t for t in texts):
            break
        assert time.monotonic() < deadline, "le travailleur lancé par `sanscouture serve` n'a rien envoyé"
        time.sleep(0.3)
    assert sum(len(re.findall(r"^Subject: .*5C1D$", t, flags=re.MULTILINE)) for t in texts) == 1
    log = (Path(server.env["SANSCOUTURE_DATA_DIR"]) / "server.log").read_text()
    assert "agent-serve@" not in log
