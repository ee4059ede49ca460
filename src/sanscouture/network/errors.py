from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class UnknownTerritory(NotFound):
    code = "territoire_inconnu"


class InvalidTerritory(InvalidInput):
    code = "territoire_invalide"


class InvalidPeriod(InvalidInput):
    code = "periode_invalide"


class RatingInvalid(InvalidInput):
    code = "evaluation_invalide"


class RatingNotAllowed(PermissionDeniedError):
    code = "evaluation_non_autorisee"


class RatingAlreadyGiven(Conflict):
    code = "evaluation_deja_faite"
