"""Background tasks (django-tasks, database backend): run by `sanscouture notifications travailler`."""

from django_tasks import task

from .services import outbox_deliver


@task()
def deliver_outbox() -> int:
    """Send every due e-mail of the outbox; returns how many were sent (enqueued after each notify commit)."""
    return outbox_deliver().sent
