"""Periodic job (settings.SANSCOUTURE_PERIODIC_JOBS): reminders before a notice's deadline, « sans réponse » after
it. Idempotent (each notice is reminded and declared overdue once per version); returns counts only."""

from .services import notices_remind


def remind() -> dict[str, int]:
    return notices_remind()
