"""Periodic jobs, run daily by the worker (settings.SANSCOUTURE_PERIODIC_JOBS, by dotted path) and by the
`purger` and `echeances` commands. Each is idempotent, safe to run twice or from two workers at once, and
returns counts only (stored as the task's result: no personal data)."""

from django.conf import settings

from sanscouture.notifications.services import notifications_purge

from .services import (
    access_log_purge,
    cases_purge,
    handovers_remind_and_expire,
    idempotency_keys_purge,
    tasks_notify_due_soon,
)


def purge() -> dict[str, int]:
    """Every retention purge with the configured delays (docs/adr/006, "Retention and periodic jobs")."""
    cases = cases_purge(older_than_days=settings.SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS)
    journal = access_log_purge(older_than_days=settings.SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS)
    notices = notifications_purge(older_than_days=settings.SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS)
    return {
        "dossiers": cases,
        "journal": journal,
        "notifications": notices.notifications,
        "courriels": notices.emails,
        "cles_idempotence": idempotency_keys_purge(),
    }


def due_soon() -> dict[str, int]:
    """Notify the agents of open tasks due within SANSCOUTURE_DUE_SOON_DAYS days."""
    report = tasks_notify_due_soon(days=settings.SANSCOUTURE_DUE_SOON_DAYS)
    return {"taches": report.tasks, "notifications": report.notifications}


def handovers() -> dict[str, int]:
    """Remind the bodies of hand-overs left unanswered; expire the oldest (the sender keeps the task)."""
    report = handovers_remind_and_expire(
        remind_after_days=settings.SANSCOUTURE_HANDOVER_REMIND_DAYS,
        expire_after_days=settings.SANSCOUTURE_HANDOVER_EXPIRE_DAYS,
    )
    return {"rappels": report.reminded, "expirees": report.expired}
