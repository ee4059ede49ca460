from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class GatheringInvalid(InvalidInput):
    code = "rencontre_invalide"


class GatheringInPast(InvalidInput):
    code = "date_passee"


class GatheringDatesReversed(InvalidInput):
    code = "fin_avant_debut"


class GatheringNotAllowed(PermissionDeniedError):
    code = "rencontre_non_autorisee"


class GatheringOutsideTerritory(PermissionDeniedError):
    code = "hors_territoire"


class GatheringCancelled(Conflict):
    code = "rencontre_annulee"


class GatheringOver(Conflict):
    code = "rencontre_passee"


class GatheringNotStarted(Conflict):
    code = "rencontre_pas_encore_eu_lieu"


class ReplyInvalid(InvalidInput):
    code = "reponse_invalide"


class UnknownTerritory(NotFound):
    code = "territoire_inconnu"
