"""Writes on competences: exercise declarations. Keyword-only, atomic, taking the acting user."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.permissions import can_declare_for
from sanscouture.bodies.models import Body
from sanscouture.bodies.services import SyncReport, bodies_sync
from sanscouture.territories.importers import ImportReport, Progress, read_source, referential_import
from sanscouture.territories.models import Commune

from .catalogue import catalogue
from .errors import ExerciseConflict, InvalidDeclaration, NotAuthorised
from .models import DECLARABLE_BASES, Exercise
from .permissions import declaration_check
from .routing import check_date, routing_index_invalidate


@transaction.atomic
def exercise_declare(
    *,
    body: Body,
    competence: str,
    communes: list[Commune],
    start: date,
    end: date | None = None,
    basis: str,
    reference: str = "",
    actor: AbstractBaseUser,
) -> Exercise:
    """Record that `body` exercises `competence` on `communes` from `start` (to `end`, inclusive).

    Only under the declaration rule (competences.permissions.declaration_check): who, what kind of body, where."""
    comp = catalogue().get(competence)
    declaration_check(body=body, competence=comp, communes=communes, start=start, end=end, actor=actor)
    declarable = [value for value, _ in DECLARABLE_BASES]
    if basis not in declarable:
        raise InvalidDeclaration(
            f"Fondement inconnu : « {basis} ». Valeurs possibles : {', '.join(declarable)} "
            "(les déclarations BANATIC viennent de l'import BANATIC).",
            details={"fondement": basis},
        )
    check_date(start)
    if end is not None:
        check_date(end)
        if end < start:
            raise InvalidDeclaration(
                "La date de fin précède la date de début.", details={"debut": start.isoformat(), "fin": end.isoformat()}
            )
    if not communes:
        raise InvalidDeclaration("Indiquez au moins une commune.")
    if not body.active:
        raise InvalidDeclaration(f"{body.name} n'est plus active dans le référentiel.")
    # Lock the declarations of this competence so two concurrent declarations cannot both pass the check.
    list(Exercise.objects.select_for_update().filter(competence=comp.code).values_list("pk", flat=True))
    conflict = Exercise.objects.overlapping(competence=comp.code, communes=communes, start=start, end=end).first()
    if conflict:
        shared = conflict.communes.filter(pk__in=[c.pk for c in communes]).order_by("name")[:5]
        raise ExerciseConflict(
            f"Conflit : {conflict.body.name} exerce déjà « {comp.label} » sur "
            + ", ".join(c.name for c in shared)
            + f" depuis le {conflict.start:%d/%m/%Y}"
            + (f" jusqu'au {conflict.end:%d/%m/%Y}" if conflict.end else "")
            + ". Retirez ou bornez cette déclaration d'abord.",
            details={"declaration_existante": conflict.pk},
        )
    exercise = Exercise.objects.create(
        body=body, competence=comp.code, start=start, end=end, basis=basis, reference=reference[:300], created_by=actor
    )
    exercise.communes.set(communes)
    routing_index_invalidate()
    return exercise


@transaction.atomic
def exercise_withdraw(*, exercise: Exercise, actor: AbstractBaseUser) -> Exercise:
    """Withdraw a declaration (kept for history): the default under the law applies again."""
    if not can_declare_for(actor, exercise.body):
        raise NotAuthorised(f"Vous n'êtes pas habilité à retirer les déclarations de {exercise.body.name}.")
    exercise.withdrawn_at = timezone.now()
    exercise.save(update_fields=["withdrawn_at"])
    routing_index_invalidate()
    return exercise


@transaction.atomic
def referential_load(
    *, path: Path | None = None, effective: date | None = None, progress: Progress | None = None
) -> "ReferentialReport":
    """Import the territories (bundled edition by default), derive the bodies, refresh routing: one transaction.
    `effective`: the date of the COG the edition describes, when the importer does not know it."""
    data, version = read_source(path)
    territories = referential_import(
        data, source=str(path or "bundled"), version=version, effective=effective, progress=progress
    )
    bodies = bodies_sync()
    routing_index_invalidate()
    return ReferentialReport(territories=territories, bodies=bodies)


@dataclass
class ReferentialReport:
    territories: ImportReport
    bodies: SyncReport
