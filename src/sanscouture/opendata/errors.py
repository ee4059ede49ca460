"""Open data's domain errors (French message, stable code)."""

from typing import Any

from sanscouture.errors import DomainError


class ExportNotReady(DomainError):
    """The data·inclusion export is being written for the first time: come back later (ADR 020)."""

    code = "export_en_preparation"
    status = 503

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
