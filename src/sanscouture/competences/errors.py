from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class CompetenceNotFound(NotFound):
    code = "competence_inconnue"


class PivotNotFound(NotFound):
    code = "pivot_inconnu"


class DateOutOfRange(InvalidInput):
    code = "date_hors_validite"


class InvalidDeclaration(InvalidInput):
    code = "declaration_invalide"


class ExerciseConflict(Conflict):
    code = "declaration_en_conflit"


class NotAuthorised(PermissionDeniedError):
    code = "non_autorise"


class CompetenceNotHoldable(PermissionDeniedError):
    code = "competence_interdite"


class OutsideTerritory(PermissionDeniedError):
    code = "hors_territoire"
