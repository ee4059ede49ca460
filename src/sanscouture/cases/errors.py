from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class InvalidDeclaration(InvalidInput):
    code = "declaration_dossier_invalide"


class CaseNotFound(NotFound):
    code = "dossier_introuvable"


class ActionRefused(PermissionDeniedError):
    code = "action_refusee"


class InvalidTransition(InvalidInput):
    code = "transition_invalide"


class HandoverAlreadyDecided(Conflict):
    code = "orientation_deja_traitee"


class OpinionAlreadyGiven(Conflict):
    code = "avis_deja_donne"
