"""Background task (django-tasks, database backend): run by `sanscouture notifications travailler`."""

from django_tasks import task

from .services import webhooks_deliver


@task()
def deliver_webhooks() -> int:
    """Send every due webhook delivery; returns how many were delivered (enqueued after each event's commit)."""
    return webhooks_deliver().delivered
