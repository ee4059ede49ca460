"""Reads on exercise declarations."""

from dataclasses import dataclass

from .catalogue import catalogue
from .models import Exercise
from .permissions import Breach, declaration_breaches


@dataclass(frozen=True)
class DeclarationBreaches:
    exercise: Exercise
    breaches: list[Breach]


def declarations_breaking_the_rule() -> list[DeclarationBreaches]:
    """Declarations in force (not withdrawn) that break the declaration rule's « what » or « where » — recorded
    before the rule, or by hand in the admin. Read only: deciding what to do with them is people's work."""
    found = []
    exercises = Exercise.objects.filter(withdrawn_at__isnull=True).select_related("body").prefetch_related("communes")
    competences = catalogue().competences
    for ex in exercises.order_by("pk"):
        comp = competences.get(ex.competence)
        if comp is None:
            continue  # a competence gone from the catalogue: routing already ignores it
        breaches = declaration_breaches(
            body=ex.body, competence=comp, communes=list(ex.communes.all()), start=ex.start, end=ex.end
        )
        if breaches:
            found.append(DeclarationBreaches(ex, breaches))
    return found
