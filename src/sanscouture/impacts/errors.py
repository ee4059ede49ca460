from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class InvalidAction(InvalidInput):
    code = "action_invalide"


class InvalidPeriod(InvalidInput):
    code = "periode_invalide"


class UnknownTerritory(InvalidInput):
    code = "territoire_inconnu"


class UnknownSubject(InvalidInput):
    """An unknown competence, pivot or life event."""

    code = "objet_inconnu"


class OutsideReach(PermissionDeniedError):
    code = "hors_territoire"


class NotAllowed(PermissionDeniedError):
    code = "non_autorise"


class ActionNotFound(NotFound):
    code = "action_introuvable"


class NoticeNotFound(NotFound):
    code = "avis_introuvable"


class InvalidTransition(Conflict):
    code = "transition_invalide"


class AnswerClosed(Conflict):
    code = "reponse_close"


class InvalidAnswer(InvalidInput):
    code = "reponse_invalide"
