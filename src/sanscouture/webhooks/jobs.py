"""Periodic jobs (SANSCOUTURE_PERIODIC_JOBS): the sweep that sends retries when they fall due, and the purge."""

from django.conf import settings

from .services import deliveries_purge, webhooks_deliver


def deliver() -> dict[str, int]:
    report = webhooks_deliver()
    return {"livrees": report.delivered, "a_reessayer": report.retried, "suspendus": report.suspended}


def purge() -> dict[str, int]:
    return {"supprimees": deliveries_purge(older_than_days=settings.SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS)}
