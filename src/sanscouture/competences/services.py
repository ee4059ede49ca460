"""Writes on competences: exercise declarations. Keyword-only, atomic, taking the acting user."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sanscouture.accounts.permissions import can_declare_for
from sanscouture.bodies.models import Body
from sanscouture.bodies.services import SyncReport, bodies_sync
from sanscouture.errors import DomainError
from sanscouture.territories.importers import ImportReport, Progress, read_source, referential_import
from sanscouture.territories.models import Commune

from .catalogue import catalogue
from .errors import ExerciseConflict, InvalidDeclaration, NotAuthorised
from .models import DECLARABLE_BASES, Basis, Exercise
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


@dataclass
class BanaticReport:
    """What a BANATIC import changed, for the command's summary table and the tests."""

    export_date: date
    generation: str
    rows: int
    groupements: int
    natures: dict[str, int]
    bodies_created: int = 0
    bodies_updated: int = 0
    bodies_deactivated: int = 0
    members: int = 0
    exercises_created: int = 0
    exercises_ended: int = 0
    exercises_unchanged: int = 0
    created: list[str] = field(default_factory=list)  # names of the groupements new in this export
    deactivated: list[str] = field(default_factory=list)  # names of those it no longer lists
    columns_kept: list[str] = field(default_factory=list)
    columns_not_kept: list[str] = field(default_factory=list)
    columns_unknown: list[str] = field(default_factory=list)
    unresolved_communes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.bodies_created
            or self.bodies_updated
            or self.bodies_deactivated
            or self.exercises_created
            or self.exercises_ended
        )


def _import_user() -> AbstractBaseUser:
    """The author of imported declarations: an account that cannot log in."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username="import-banatic", defaults={"is_active": False, "first_name": "Import BANATIC"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def banatic_import(
    *,
    path: Path,
    export_date: date,
    communes_table: Path | None = None,
    progress: Progress | None = None,
) -> BanaticReport:
    """Import a BANATIC national export (either generation) in one transaction.

    Every groupement becomes a body (EPCI à fiscalité propre and EPT: the referential's own; syndicats, PETR, pôles
    métropolitains: a body `banatic:<siren>`) with its members; each competence the reviewed mapping keeps becomes
    an exercise declaration (basis BANATIC, « BANATIC, export du JJ/MM/AAAA, code … ») on the groupement's
    communes, direct or through its member groupements. Declarations are dated: one that the new export no longer
    carries ends the day before it, one that changed ends and starts again, so routing at a past date answers as
    BANATIC said then. The file is read and checked whole before anything is written."""
    from sanscouture.bodies.models import BodyKind, GroupementMember

    from .banatic import FISCAL_NATURES, NATURES, BanaticInvalid, read_export, siren_table

    latest = Exercise.objects.filter(basis=Basis.BANATIC).order_by("-start").values_list("start", flat=True).first()
    if latest and export_date < latest:
        raise BanaticInvalid(
            f"Cet export ({export_date:%d/%m/%Y}) est plus ancien que le dernier importé ({latest:%d/%m/%Y}) : "
            "importez les exports dans l'ordre.",
            details={"date": export_date.isoformat(), "dernier": latest.isoformat()},
        )
    export = read_export(path, progress=progress)
    table = siren_table(communes_table) if communes_table else {}
    stamp = f"export du {export_date:%d/%m/%Y}"
    report = BanaticReport(
        export_date=export_date,
        generation=export.generation,
        rows=export.rows,
        groupements=len(export.groupements),
        natures={},
    )
    for c in export.columns:
        name = f"{c.code} - {c.label}" if c.code != c.label else c.code
        if c.competence:
            report.columns_kept.append(f"{name} → {c.competence}")
        elif c.known:
            report.columns_not_kept.append(f"{name} : {c.reason}")
        else:
            report.columns_unknown.append(name)
    for g in export.groupements.values():
        report.natures[g.nature] = report.natures.get(g.nature, 0) + 1

    # Communes: by SIREN in the referential; the published table names those it lacks (or merged since).
    current = dict(Commune.objects.current().exclude(siren="").values_list("siren", "pk"))
    by_insee = dict(Commune.objects.current().values_list("insee_code", "pk"))

    def commune_pk(siren: str) -> int | None:
        insee = table.get(siren)
        if insee:
            if insee in by_insee:
                return by_insee[insee]
            from sanscouture.territories.selectors import commune_resolve

            try:
                return commune_resolve(insee).commune.pk
            except DomainError:
                return current.get(siren)
        return current.get(siren)

    # Bodies: the referential's EPCI and EPT, a body of our own for every other groupement.
    existing = {b.key: b for b in Body.objects.filter(Q(source="banatic") | Q(kind__in=[BodyKind.EPCI, BodyKind.EPT]))}
    body_of: dict[str, Body] = {}
    to_create, to_update = [], []
    for g in export.groupements.values():
        if g.nature in FISCAL_NATURES or g.nature == "EPT":
            key = f"{'ept' if g.nature == 'EPT' else 'epci'}:{g.siren}"
            body = existing.get(key)
            if body is None:
                report.warnings.append(
                    f"{g.name} ({g.nature}, SIREN {g.siren}, ligne {g.row}) : absent du référentiel des territoires, "
                    "compétences non reprises."
                )
                continue
            body_of[g.siren] = body
            continue
        label = NATURES.get(g.nature, g.nature) + (" (EPAGE)" if g.epage else "") + (" (EPTB)" if g.eptb else "")
        basis = f"{label} — BANATIC, {stamp}"[:300]
        key = f"banatic:{g.siren}"
        body = existing.get(key)
        if body is None:
            body = Body(key=key, kind=BodyKind.SYNDICAT, name=g.name, siren=g.siren, basis=basis, source="banatic")
            to_create.append(body)
        elif (body.name, body.basis, body.active) != (g.name, basis, True):
            body.name, body.basis, body.active = g.name, basis, True
            to_update.append(body)
        body_of[g.siren] = body
    Body.objects.bulk_create(to_create, batch_size=2000)
    Body.objects.bulk_update(to_update, ["name", "basis", "active"], batch_size=2000)
    report.bodies_created, report.bodies_updated = len(to_create), len(to_update)
    report.created = sorted(b.name for b in to_create)
    if to_create:  # primary keys (SQLite before RETURNING, some backends) read back
        keys = {b.key: b for b in Body.objects.filter(key__in=[b.key for b in to_create])}
        body_of = {s: keys.get(b.key, b) for s, b in body_of.items()}
    gone = [b for k, b in existing.items() if b.source == "banatic" and b.active and k.partition(":")[2] not in body_of]
    for b in gone:
        b.active = False
    Body.objects.bulk_update(gone, ["active"], batch_size=2000)
    report.bodies_deactivated = len(gone)
    report.deactivated = sorted(b.name for b in gone)

    # Members, and each groupement's communes (direct, or through member groupements, recursively).
    unresolved: set[str] = set()
    direct: dict[str, set[int]] = {}
    GroupementMember.objects.filter(groupement__in=list(body_of.values())).delete()
    rows = []
    for g in export.groupements.values():
        body = body_of.get(g.siren)
        communes = direct.setdefault(g.siren, set())
        for m in g.members.values():
            kind = "groupement" if m.siren in export.groupements else m.kind or "autre"
            pk = commune_pk(m.siren) if kind == "commune" else None
            if kind == "commune":
                if pk is None:
                    unresolved.add(f"{m.name} (SIREN {m.siren})")
                else:
                    communes.add(pk)
            if body is not None:
                rows.append(
                    GroupementMember(
                        groupement=body,
                        member_siren=m.siren,
                        member_name=m.name or m.siren,
                        member_kind=kind,
                        commune_id=pk,
                        member=body_of.get(m.siren),
                        substitution=m.substitution,
                        as_of=export_date,
                    )
                )
    GroupementMember.objects.bulk_create(rows, batch_size=5000)
    report.members = len(rows)
    report.unresolved_communes = sorted(unresolved)

    territory: dict[str, frozenset[int]] = {}

    def all_communes(siren: str, seen: frozenset[str] = frozenset()) -> frozenset[int]:
        """Direct communes and those of member groupements, once per groupement (a cycle stops at itself)."""
        if siren in territory:
            return territory[siren]
        found = set(direct.get(siren, ()))
        for m in export.groupements[siren].members:
            if m in export.groupements and m not in seen and m != siren:
                found |= all_communes(m, seen | {siren})
        territory[siren] = frozenset(found)
        return territory[siren]

    for s in export.groupements:
        all_communes(s)
    served = Body.served_communes.through
    syndicats = [b for s, b in body_of.items() if b.kind == BodyKind.SYNDICAT]
    served.objects.filter(body__in=syndicats).delete()
    served.objects.bulk_create(
        [served(body_id=b.pk, commune_id=pk) for b in syndicats for pk in territory[b.siren]], batch_size=10_000
    )

    # Exercise declarations: (body, competence) → communes, with the codes that say so.
    columns = {c.code: c for c in export.columns if c.competence}
    wanted: dict[tuple[int, str], tuple[frozenset[int], list[str]]] = {}
    for g in export.groupements.values():
        body = body_of.get(g.siren)
        if body is None or not territory[g.siren]:
            continue
        for code in sorted(g.codes):
            comp = columns[code].competence
            communes, codes = wanted.get((body.pk, comp), (frozenset(territory[g.siren]), []))
            codes.append(code)
            wanted[(body.pk, comp)] = (communes, codes)
    open_rows = Exercise.objects.filter(basis=Basis.BANATIC, withdrawn_at__isnull=True, end__isnull=True)
    links: dict[int, set[int]] = {}
    for ex_id, commune_id in Exercise.communes.through.objects.filter(exercise__in=open_rows).values_list(
        "exercise_id", "commune_id"
    ):
        links.setdefault(ex_id, set()).add(commune_id)
    have = {(e.body_id, e.competence): e for e in open_rows}
    day_before = export_date - timedelta(days=1)
    ended, dropped = [], []
    for key, ex in have.items():
        if key in wanted and frozenset(links.get(ex.pk, ())) == wanted[key][0]:
            report.exercises_unchanged += 1
            continue
        if ex.start >= export_date:
            dropped.append(ex.pk)  # the same export imported again, corrected: replaced, not kept as history
        else:
            ex.end = day_before
            ended.append(ex)
    Exercise.objects.bulk_update(ended, ["end"], batch_size=2000)
    Exercise.communes.through.objects.filter(exercise_id__in=dropped).delete()
    Exercise.objects.filter(pk__in=dropped).delete()
    report.exercises_ended = len(ended)
    actor = _import_user()
    new = [
        (
            key,
            Exercise(
                body_id=key[0],
                competence=key[1],
                start=export_date,
                basis=Basis.BANATIC,
                reference=f"BANATIC, {stamp}, code{'s' if len(codes) > 1 else ''} {', '.join(codes)}"[:300],
                created_by=actor,
            ),
        )
        for key, (communes, codes) in wanted.items()
        if not (key in have and have[key].pk not in dropped and have[key].end is None)
    ]
    Exercise.objects.bulk_create([e for _, e in new], batch_size=2000)
    if new and new[0][1].pk is None:  # backends without RETURNING: read the new rows back
        fresh = {
            (e.body_id, e.competence): e.pk for e in Exercise.objects.filter(basis=Basis.BANATIC, start=export_date)
        }
        for key, e in new:
            e.pk = fresh[key]
    through = Exercise.communes.through
    batch: list = []
    for key, e in new:
        batch.extend(through(exercise_id=e.pk, commune_id=pk) for pk in wanted[key][0])
        if len(batch) >= 20_000:
            through.objects.bulk_create(batch)
            batch = []
    through.objects.bulk_create(batch)
    report.exercises_created = len(new)
    if report.changed or report.members:
        routing_index_invalidate()
    return report
