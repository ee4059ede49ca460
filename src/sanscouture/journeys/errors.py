from sanscouture.errors import InvalidInput


class UnknownChoice(InvalidInput):
    code = "choix_inconnu"


class ConflictingChoices(InvalidInput):
    code = "choix_incompatibles"


class InvalidLocalStep(InvalidInput):
    code = "etape_locale_invalide"
