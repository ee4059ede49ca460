from sanscouture.errors import DomainError


class AccountError(DomainError):
    """A refused account operation, with a French message; `field` names the form field concerned."""

    code = "compte_invalide"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
