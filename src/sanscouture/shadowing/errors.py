from sanscouture.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError


class ShadowingInvalid(InvalidInput):
    code = "vis_mon_job_invalide"


class SelfPairing(InvalidInput):
    code = "binome_avec_soi_meme"


class NotOptedIn(InvalidInput):
    code = "agent_non_inscrit"


class DatesInPast(InvalidInput):
    code = "dates_passees"


class EndBeforeStart(InvalidInput):
    code = "fin_avant_debut"


class ReasonRequired(InvalidInput):
    code = "motif_requis"


class OutOfOrder(Conflict):
    code = "etape_non_permise"


class AlreadyExists(Conflict):
    code = "binome_deja_en_cours"


class NotYourBody(PermissionDeniedError):
    code = "structure_non_concernee"


class NotAParty(PermissionDeniedError):
    code = "reserve_aux_agents_du_binome"


class PairNotFound(NotFound):
    code = "binome_introuvable"
