"""Drives a separate Sans Couture database from a subprocess, for the tests that run a real worker.

python -m tests.notifications.scenario notify <key> <n> [--rollback]
python -m tests.notifications.scenario state
"""

import json
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanscouture.settings")
    import django

    django.setup()


def address(key: str, i: int) -> str:
    return f"agent-{key}-{i}@exemple.fr"


def notify(key: str, n: int, rollback: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from sanscouture.notifications.services import notify as notify_

    class Rollback(Exception):
        pass

    users = [
        get_user_model().objects.get_or_create(username=f"agent-{key}-{i}", defaults={"email": address(key, i)})[0]
        for i in range(n)
    ]
    try:
        with transaction.atomic():
            notify_(
                recipients=users,
                kind="new_task",
                title="Nouvelle tâche sur le dossier 4F2A9C1B",
                text="Une démarche vous attend.",
                url="/dossiers/4f2a9c1b/",
                case_ref="4f2a9c1b",
                dedupe_key=f"task-created:{key}",
            )
            if rollback:
                raise Rollback
    except Rollback:
        pass


def state() -> dict:
    from django_tasks_db.models import DBTaskResult

    from sanscouture.notifications.models import Notification, OutboxEmail

    return {
        "notifications": Notification.objects.count(),
        "outbox": list(OutboxEmail.objects.values("id", "status", "attempts", "message_id", "dedupe_key")),
        "tasks": list(DBTaskResult.objects.values_list("status", flat=True)),
    }


if __name__ == "__main__":
    _setup()
    action = sys.argv[1]
    if action == "notify":
        notify(sys.argv[2], int(sys.argv[3]), "--rollback" in sys.argv)
    elif action == "state":
        print(json.dumps(state()))
