"""Periodic job of the network (settings.SANSCOUTURE_PERIODIC_JOBS): the ledger reads what happened since its last
run. Idempotent; returns a count only."""

from .services import interactions_sync


def ledger_sync() -> dict[str, int]:
    return {"interactions": interactions_sync()}
