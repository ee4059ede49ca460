"""Periodic job (settings.SANSCOUTURE_PERIODIC_JOBS): reminders before a gathering, once each; counts only."""

from .services import gatherings_remind


def remind() -> dict[str, int]:
    return gatherings_remind()
