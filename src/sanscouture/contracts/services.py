"""Writes on contracts and action sheets: keyword-only, atomic, checked before anything is stored (bad input
changes nothing)."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body
from sanscouture.bodies.selectors import body_territory
from sanscouture.competences.catalogue import catalogue
from sanscouture.territories.models import Commune

from .errors import (
    AmountInvalid,
    BodyInvalid,
    CommuneOutsideContract,
    CompetenceInvalid,
    DatesInvalid,
    FileInvalid,
    FileTooLarge,
    NotAuthorised,
    PerimeterOutsideSignatories,
)
from .ifc import ifc_summary, is_ifc
from .models import (
    ActionSheet,
    BudgetLine,
    BudgetStatus,
    Contract,
    ContractStatus,
    FileAccess,
    FileAction,
    FileKind,
    FileVersion,
    Indicator,
    IndicatorValue,
    Phase,
    PhaseStatus,
    SharedFile,
    Signatory,
    Step,
)
from .permissions import can_act_for, can_edit_contract, can_edit_sheet, can_use_sheet_files, sheet_member_body_ids
from .projets_territoire import competences_for_m57, parse, sgpe_levers
from .selectors import perimeter_communes


def active_bodies(*, ids: Iterable[int], what: str) -> list[Body]:
    """The bodies of `ids`, in order, each active; otherwise an error naming those that are not."""
    wanted = list(dict.fromkeys(ids))
    found = {b.pk: b for b in Body.objects.filter(pk__in=wanted, active=True)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise BodyInvalid(
            f"{what} : {len(missing)} structure(s) inconnue(s) ou inactive(s) (identifiants {missing[:10]}).",
            details={"structures": missing[:50]},
        )
    return [found[i] for i in wanted]


def _check_competences(codes: list[str]) -> list[str]:
    known = catalogue().competences
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise CompetenceInvalid(
            f"Compétence(s) absente(s) du catalogue : {', '.join(u[:60] for u in unknown[:10])}.",
            details={"competences": [u[:60] for u in unknown[:50]]},
        )
    return list(dict.fromkeys(codes))


@transaction.atomic
def contract_create(
    *,
    kind: str,
    title: str,
    perimeter: list[str],
    signatories: list[tuple[Body, str]],
    start: date,
    end: date | None,
    actor: AbstractBaseUser,
    axes: list[str] | None = None,
    documents: list[dict[str, str]] | None = None,
    status: str = ContractStatus.SIGNED,
) -> Contract:
    """Record a contract signed by `signatories` (body, role) on `perimeter`. The actor acts for one signatory;
    every signatory is active; the perimeter lies within the signatories' territories."""
    if not signatories:
        raise BodyInvalid("Un contrat a au moins un signataire.")
    if end is not None and end < start:
        raise DatesInvalid("La fin du contrat précède son début.")
    if not any(can_act_for(actor, body) for body, _ in signatories):
        raise NotAuthorised("Vous ne pouvez engager aucun des signataires de ce contrat.")
    communes = perimeter_communes(perimeter)
    territory: set[int] = set()
    for body, _ in signatories:
        territory |= body_territory(body)
    outside = [c.insee_code for c in communes if c.pk not in territory]
    if outside:
        raise PerimeterOutsideSignatories(
            f"Le périmètre déborde du territoire des signataires : {', '.join(outside[:10])}"
            f"{' …' if len(outside) > 10 else ''}.",
            details={"communes": outside[:100]},
        )
    contract = Contract.objects.create(
        kind=kind,
        title=title,
        perimeter=list(dict.fromkeys(perimeter)),
        start=start,
        end=end,
        axes=axes or [],
        documents=documents or [],
        status=status,
        created_by=actor,
    )
    contract.communes.set(communes)
    Signatory.objects.bulk_create([Signatory(contract=contract, body=b, role=role) for b, role in signatories])
    return contract


@transaction.atomic
def sheet_create(
    *,
    contract: Contract,
    title: str,
    pilot: Body,
    partners: list[Body],
    competences: list[str],
    communes: list[Commune],
    actor: AbstractBaseUser,
    description: str = "",
    axis: str = "",
    phase: str = Phase.IDEA,
    phase_status: str = PhaseStatus.IN_PROGRESS,
    levers: list[str] | None = None,
    planned_start: date | None = None,
    planned_budget: int | None = None,
) -> ActionSheet:
    """Add an action sheet to `contract`: its communes lie within the contract's perimeter, its competences are
    the catalogue's, its pilot and partners are active bodies."""
    if not any(can_act_for(actor, s.body) for s in contract.signatories.select_related("body")) and not can_act_for(
        actor, pilot
    ):
        raise NotAuthorised("Seuls les signataires du contrat (ou le pilote de la fiche) y ajoutent des fiches.")
    if not pilot.active or any(not b.active for b in partners):
        raise BodyInvalid("Le pilote et les partenaires sont des structures actives.")
    codes = _check_competences(competences)
    inside = set(contract.communes.values_list("pk", flat=True))
    outside = [c.insee_code for c in communes if c.pk not in inside]
    if outside:
        raise CommuneOutsideContract(
            f"Commune(s) hors du périmètre du contrat : {', '.join(outside[:10])}.", details={"communes": outside[:100]}
        )
    sheet = ActionSheet.objects.create(
        contract=contract,
        title=title,
        description=description,
        axis=axis,
        pilot=pilot,
        competences=codes,
        phase=phase,
        phase_status=phase_status,
        levers=list(dict.fromkeys(levers or [])),
        planned_start=planned_start,
        planned_budget=planned_budget,
        created_by=actor,
    )
    sheet.partners.set([b for b in partners if b.pk != pilot.pk])
    sheet.communes.set(communes)
    return sheet


def _check_edit(actor: AbstractBaseUser, sheet: ActionSheet) -> None:
    if not can_edit_sheet(actor, sheet):
        raise NotAuthorised("Seuls les signataires du contrat et le pilote de la fiche la modifient.")


def _check_amounts(total: Decimal, amount: Decimal) -> None:
    if total < 0 or amount < 0:
        raise AmountInvalid(
            "Un montant ne peut pas être négatif.", details={"total": str(total), "montant": str(amount)}
        )
    if amount > total:
        raise AmountInvalid(
            f"Le montant ({amount} €) dépasse le total de la ligne budgétaire ({total} €).",
            details={"total": str(total), "montant": str(amount)},
        )


@transaction.atomic
def budget_line_add(
    *,
    sheet: ActionSheet,
    funder: Body,
    total: Decimal,
    amount: Decimal,
    actor: AbstractBaseUser,
    status: str = BudgetStatus.REQUESTED,
    on: date | None = None,
    label: str = "",
) -> BudgetLine:
    """A funder's part of a sheet: `amount` (requested, granted or paid), never negative nor above `total`."""
    _check_edit(actor, sheet)
    if not funder.active:
        raise BodyInvalid("Le financeur est une structure active.")
    _check_amounts(total, amount)
    return BudgetLine.objects.create(
        sheet=sheet, funder=funder, total=total, amount=amount, status=status, on=on, label=label
    )


@transaction.atomic
def budget_line_set(
    *, line: BudgetLine, status: str, actor: AbstractBaseUser, amount: Decimal | None = None, on: date | None = None
) -> BudgetLine:
    """Move a budget line on (requested → granted → paid), with the amount decided and its date. The funder's
    agents (administrators, référents) may record their own decision too."""
    if not (can_edit_sheet(actor, line.sheet) or can_act_for(actor, line.funder)):
        raise NotAuthorised("Seuls les signataires, le pilote ou le financeur modifient cette ligne.")
    new_amount = line.amount if amount is None else amount
    _check_amounts(line.total, new_amount)
    line.status, line.amount, line.on = status, new_amount, on or line.on
    line.save(update_fields=["status", "amount", "on"])
    return line


@transaction.atomic
def step_add(
    *,
    sheet: ActionSheet,
    title: str,
    actor: AbstractBaseUser,
    planned_on: date | None = None,
    done_on: date | None = None,
) -> Step:
    """A dated step of a sheet."""
    _check_edit(actor, sheet)
    return Step.objects.create(sheet=sheet, title=title, planned_on=planned_on, done_on=done_on)


@transaction.atomic
def indicator_add(
    *, sheet: ActionSheet, label: str, actor: AbstractBaseUser, unit: str = "", target: Decimal | None = None
) -> Indicator:
    """An indicator of a sheet with its target."""
    _check_edit(actor, sheet)
    return Indicator.objects.create(sheet=sheet, label=label, unit=unit, target=target)


@transaction.atomic
def indicator_measure(*, indicator: Indicator, on: date, value: Decimal, actor: AbstractBaseUser) -> IndicatorValue:
    """Record the value measured at `on` (a second value for the same date replaces the first)."""
    _check_edit(actor, indicator.sheet)
    measured, _ = IndicatorValue.objects.update_or_create(indicator=indicator, on=on, defaults={"value": value})
    return measured


def _check_files(actor: AbstractBaseUser, sheet: ActionSheet) -> None:
    if not can_use_sheet_files(actor, sheet):
        raise NotAuthorised("Les fichiers d'une fiche sont réservés à ses partenaires.")


def file_access_record(
    *, file: SharedFile, actor: AbstractBaseUser, action: str, version: FileVersion | None = None
) -> FileAccess:
    """Journal one access to a shared file (same transaction as what it records). Refused to non-members."""
    _check_files(actor, file.sheet)
    members = Membership.objects.filter(user=actor, body_id__in=sheet_member_body_ids(file.sheet))
    names = ", ".join(m.body.name for m in members.select_related("body").order_by("body__name"))
    return FileAccess.objects.create(file=file, version=version, user=actor, bodies=names[:500], action=action)


def _version_content(*, name: str, content: bytes, kind: str) -> tuple[dict, str]:
    limit = settings.SANSCOUTURE_SHARED_FILE_MAX_SIZE
    if len(content) > limit:
        raise FileTooLarge(
            f"Le fichier dépasse la taille maximale ({limit // 1_000_000} Mo) : rien n'a été enregistré.",
            details={"taille": len(content), "maximum": limit},
        )
    if not content:
        raise FileInvalid("Le fichier est vide : rien n'a été enregistré.")
    if kind == FileKind.IFC or name.lower().endswith(".ifc"):
        return ifc_summary(content), FileKind.IFC
    return {}, FileKind.OTHER


@transaction.atomic
def shared_file_add(
    *, sheet: ActionSheet, title: str, name: str, content: bytes, actor: AbstractBaseUser
) -> SharedFile:
    """Share a file among a sheet's partners (an IFC model is read and summarised first; a file that cannot be
    read stores nothing). The upload is journaled."""
    _check_files(actor, sheet)
    summary, kind = _version_content(name=name, content=content, kind=FileKind.IFC if is_ifc(content) else "")
    shared = SharedFile.objects.create(sheet=sheet, title=title or name, kind=kind, created_by=actor)
    _version_create(file=shared, name=name, content=content, summary=summary, actor=actor)
    return shared


@transaction.atomic
def file_version_add(*, file: SharedFile, name: str, content: bytes, actor: AbstractBaseUser) -> FileVersion:
    """A new version of a shared file (an IFC model stays an IFC model)."""
    _check_files(actor, file.sheet)
    summary, kind = _version_content(name=name, content=content, kind=file.kind)
    if kind != file.kind:
        raise FileInvalid("Une nouvelle version d'une maquette IFC est une maquette IFC.")
    return _version_create(file=file, name=name, content=content, summary=summary, actor=actor)


def _version_create(
    *, file: SharedFile, name: str, content: bytes, summary: dict, actor: AbstractBaseUser
) -> FileVersion:
    last = SharedFile.objects.select_for_update().get(pk=file.pk).versions.order_by("-number").first()
    version = FileVersion.objects.create(
        file=file,
        number=(last.number + 1) if last else 1,
        name=name[:250],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        summary=summary,
        uploaded_by=actor,
    )
    file_access_record(file=file, actor=actor, action=FileAction.UPLOAD, version=version)
    return version


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def _record_fields(record: dict, *, line: int) -> dict:
    """The sheet fields of one validated projets-territoire record."""
    phases = {label: value for value, label in Phase.choices}
    statuses = {label: value for value, label in PhaseStatus.choices}
    start = None
    if record.get("dateDebutPrevisionnelle"):
        try:
            start = date.fromisoformat(record["dateDebutPrevisionnelle"])
        except ValueError:
            raise FileInvalid(f"Ligne {line} : date de début prévisionnelle illisible (AAAA-MM-JJ).") from None
    budget = None
    if record.get("budgetPrevisionnel") not in (None, ""):
        try:
            budget = int(Decimal(str(record["budgetPrevisionnel"])))
        except (InvalidOperation, ValueError):
            raise FileInvalid(f"Ligne {line} : budget prévisionnel illisible.") from None
        if budget < 0 or budget > 10**13:
            raise AmountInvalid(f"Ligne {line} : le budget prévisionnel ne peut être négatif ni démesuré.")
    ids = {k: record[k] for k in ("mecId", "tetId", "recocoId") if record.get(k)}
    return {
        "title": (record.get("nom") or "")[:250],
        "description": record.get("description") or "",
        "phase": phases.get(record.get("phase") or "", Phase.IDEA),
        "phase_status": statuses.get(record.get("phaseStatut") or "", PhaseStatus.IN_PROGRESS),
        "planned_start": start,
        "planned_budget": budget,
        "levers": [lv for lv in record.get("leviers") or [] if lv in sgpe_levers()],
        "competences": competences_for_m57(record.get("competences") or []),
        "external_ids": ids,
    }


@transaction.atomic
def projets_import(*, contract: Contract, data: bytes, fmt: str, pilot: Body, actor: AbstractBaseUser) -> ImportReport:
    """Create or update (by their `id`) the contract's action sheets from a projets-territoire file (CSV or JSON),
    validated against the published schema first. All or nothing. Imported sheets are piloted by `pilot` and cover
    the contract's communes in its territory (the schema carries no communes); their M57 functions become the
    catalogue competences that map to them (data/m57.yaml)."""
    if not can_edit_contract(actor, contract):
        raise NotAuthorised("Seuls les signataires du contrat y importent des fiches.")
    if not pilot.active:
        raise BodyInvalid("Le pilote est une structure active.")
    records = parse(data, fmt=fmt)
    territory = body_territory(pilot)
    communes = [c for c in contract.communes.all() if c.pk in territory] or list(contract.communes.all())
    created = updated = 0
    for line, record in enumerate(records, start=2):
        fields = _record_fields(record, line=line)
        sheet = ActionSheet.objects.filter(uid=record["id"]).first()
        if sheet is not None and sheet.contract_id != contract.pk:
            raise FileInvalid(f"Ligne {line} : le projet {record['id']} est une fiche d'un autre contrat.")
        if sheet is None:
            sheet = ActionSheet.objects.create(
                uid=record["id"], contract=contract, pilot=pilot, created_by=actor, **fields
            )
            sheet.communes.set(communes)
            created += 1
        else:
            for name, value in fields.items():
                setattr(sheet, name, value)
            sheet.save()
            updated += 1
    return ImportReport(created, updated)
