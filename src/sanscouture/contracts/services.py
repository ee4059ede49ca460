"""Writes on contracts and action sheets: keyword-only, atomic, checked before anything is stored (bad input
changes nothing)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

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
    NotAuthorised,
    PerimeterOutsideSignatories,
)
from .models import (
    ActionSheet,
    BudgetLine,
    BudgetStatus,
    Contract,
    ContractStatus,
    Indicator,
    IndicatorValue,
    Phase,
    PhaseStatus,
    Signatory,
    Step,
)
from .permissions import can_act_for, can_edit_sheet
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
