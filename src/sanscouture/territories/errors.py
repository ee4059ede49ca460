from sanscouture.errors import InvalidInput, NotFound


class MalformedCode(InvalidInput):
    code = "code_commune_invalide"


class CommuneNotFound(NotFound):
    code = "commune_inconnue"


class AmbiguousCommune(InvalidInput):
    code = "commune_ambigue"
    status = 409
