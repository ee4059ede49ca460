"""Errors people and machines can act on: a French message for people, a stable code for machines."""

from typing import Any


class DomainError(Exception):
    """Base of every expected error. `code` is stable (API clients rely on it), `message` is French."""

    code = "erreur"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    status = 404


class InvalidInput(DomainError):
    status = 400


class Conflict(DomainError):
    status = 409


class ImportFailed(DomainError):
    code = "import_invalide"
    status = 400


class PermissionDeniedError(DomainError):
    status = 403
