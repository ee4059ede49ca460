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


class ControlCharacters(DomainError):
    code = "caractere_interdit"
    status = 400


class IntegerOutOfRange(DomainError):
    code = "entier_hors_limites"
    status = 400


class RepeatedParameter(DomainError):
    code = "parametre_repete"
    status = 400


class PayloadTooLarge(DomainError):
    code = "requete_trop_grande"
    status = 413


class UnsupportedMediaType(DomainError):
    code = "type_de_contenu_non_pris_en_charge"
    status = 415


class Throttled(DomainError):
    code = "trop_de_requetes"
    status = 429

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


def envelope(code: str, message: str, details: object = None) -> dict[str, dict[str, object]]:
    """The one shape of every API error: {"erreur": {"code", "message", "details"?}}."""
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"erreur": body}
