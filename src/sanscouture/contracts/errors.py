"""Errors of contracts and action sheets: stable codes for machines, French messages for people."""

from sanscouture.errors import InvalidInput, NotFound, PayloadTooLarge, PermissionDeniedError


class PerimeterInvalid(InvalidInput):
    code = "perimetre_invalide"


class PerimeterOutsideSignatories(InvalidInput):
    code = "perimetre_hors_territoire"


class BodyInvalid(InvalidInput):
    code = "structure_invalide"


class CompetenceInvalid(InvalidInput):
    code = "competence_invalide"


class CommuneOutsideContract(InvalidInput):
    code = "commune_hors_perimetre"


class AmountInvalid(InvalidInput):
    code = "montant_invalide"


class DatesInvalid(InvalidInput):
    code = "dates_invalides"


class NotAuthorised(PermissionDeniedError):
    code = "non_autorise"


class ContractNotFound(NotFound):
    code = "contrat_introuvable"


class FileInvalid(InvalidInput):
    code = "fichier_invalide"


class FileTooLarge(PayloadTooLarge):
    code = "fichier_trop_volumineux"


class IfcSchemaUnsupported(InvalidInput):
    code = "ifc_schema_non_pris_en_charge"
