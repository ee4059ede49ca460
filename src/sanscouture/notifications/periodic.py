"""Periodic jobs (daily purge, due-date reminders…): the worker enqueues them as django-tasks, which run them.

`settings.SANSCOUTURE_PERIODIC_JOBS` maps a job's dotted path to the seconds between two runs. The paths are
imported by name when the job runs (`import_string`), never by an import statement: this layer does not depend
on the layers whose jobs it runs. The queue's own table (django-tasks-db's results) records each enqueue, so the
schedule survives restarts and is shared by every worker: a job is enqueued again only when none was enqueued
within its interval. Jobs are idempotent, so the rare double enqueue by two workers checking at the same instant
is harmless. See docs/adr/006-notifications-outbox.md, "Retention and periodic jobs".
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

logger = logging.getLogger("sanscouture.notifications")


class UnknownJob(ValueError):
    """A periodic job that settings do not list (the queue only runs registered jobs)."""


@task()
def run_periodic_job(path: str) -> object:
    """Run one registered job; its return value (counts only) is stored with the task's result."""
    if path not in settings.SANSCOUTURE_PERIODIC_JOBS:
        raise UnknownJob(f"Tâche périodique non déclarée dans SANSCOUTURE_PERIODIC_JOBS : {path!r}.")
    result = import_string(path)()
    logger.info("tâche périodique %s : %s", path, result)
    return result


def _last_enqueued(since: datetime) -> dict[str, datetime]:
    from django_tasks_db.models import DBTaskResult

    last: dict[str, datetime] = {}
    rows = DBTaskResult.objects.filter(task_path=run_periodic_job.module_path, enqueued_at__gte=since)
    for args_kwargs, at in rows.values_list("args_kwargs", "enqueued_at"):
        args = (args_kwargs or {}).get("args") or [None]
        if isinstance(args[0], str) and (args[0] not in last or at > last[args[0]]):
            last[args[0]] = at
    return last


def periodic_schedule(*, now: datetime | None = None, jobs: Mapping[str, float] | None = None) -> list[str]:
    """Enqueue every job whose last enqueue is older than its interval (or that never ran); returns their paths."""
    jobs = settings.SANSCOUTURE_PERIODIC_JOBS if jobs is None else jobs
    if not jobs:
        return []
    now = now or timezone.now()
    last = _last_enqueued(now - timedelta(seconds=max(jobs.values())))
    due = [path for path, every in jobs.items() if path not in last or last[path] <= now - timedelta(seconds=every)]
    for path in due:
        run_periodic_job.enqueue(path)
        logger.info("tâche périodique %s mise en file", path)
    return due
