"""Reads on contracts and action sheets, and « les leviers chez les autres »: for each commune and competence of a
sheet, routing names the competent body; the lever is the partners' when that body signs, pilots or partners."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet

from sanscouture.bodies.models import Body
from sanscouture.bodies.selectors import body_territory
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.routing import BodyInfo, route
from sanscouture.territories.models import Commune, CommuneKind

from .errors import PerimeterInvalid
from .models import ActionSheet, Contract, ContractStatus, PhaseStatus, Signatory

PERIMETER_KINDS = ("commune", "epci", "departement", "region")
# Sheets that no longer commit anyone: their contract is over, or the sheet is abandoned or done.
CLOSED_CONTRACTS = (ContractStatus.FINISHED, ContractStatus.TERMINATED)
CLOSED_SHEETS = (PhaseStatus.ABANDONED, PhaseStatus.DONE)


def perimeter_communes(terms: Iterable[str]) -> list[Commune]:
    """The current communes covered by perimeter terms (`commune:<insee>`, `epci:<siren>`, `departement:<code>`,
    `region:<code>`). An unreadable or unknown term is an error naming it; nothing is guessed."""
    current = Commune.objects.filter(kind=CommuneKind.CURRENT)
    found: dict[int, Commune] = {}
    for term in terms:
        kind, _, code = term.partition(":")
        if kind not in PERIMETER_KINDS or not code:
            raise PerimeterInvalid(
                f"« {term[:60]} » n'est pas un terme de périmètre : attendu commune:<code INSEE>, epci:<SIREN>, "
                "departement:<code> ou region:<code>.",
                details={"terme": term[:60]},
            )
        field = {"commune": "insee_code", "epci": "epci_id", "departement": "departement_id", "region": "region_id"}
        communes = list(current.filter(**{field[kind]: code}))
        if not communes:
            raise PerimeterInvalid(
                f"« {term[:60]} » ne désigne aucune commune actuelle du référentiel.", details={"terme": term[:60]}
            )
        found.update((c.pk, c) for c in communes)
    return sorted(found.values(), key=lambda c: c.insee_code)


def contracts_list(*, commune: Commune | None = None, body: Body | None = None) -> QuerySet[Contract]:
    qs = Contract.objects.prefetch_related(Prefetch("signatories", Signatory.objects.select_related("body")))
    if commune is not None:
        qs = qs.filter(communes=commune)
    if body is not None:
        qs = qs.filter(signatories__body=body)
    return qs.distinct()


def sheets_of(contract: Contract) -> QuerySet[ActionSheet]:
    return contract.sheets.select_related("pilot").prefetch_related("partners", "communes")


def sheet_get(pk: int) -> ActionSheet:
    """One sheet with what its pages need (raises ActionSheet.DoesNotExist)."""
    return (
        ActionSheet.objects.select_related("contract", "pilot")
        .prefetch_related(
            "partners",
            "communes",
            "steps",
            "budget_lines__funder",
            "indicators__values",
            Prefetch("contract__signatories", Signatory.objects.select_related("body")),
        )
        .get(pk=pk)
    )


def sheet_partner_ids(sheet: ActionSheet) -> set[int]:
    """Bodies counted as partners of a sheet: the contract's signatories, the pilot, the sheet's partners."""
    ids = {sheet.pilot_id, *(b.pk for b in sheet.partners.all())}
    return ids | {s.body_id for s in sheet.contract.signatories.all()}


@dataclass(frozen=True)
class Lever:
    """Who holds one competence a sheet needs in one of its communes, and whether that body is in the sheet."""

    commune: str
    commune_name: str
    competence: str
    competence_label: str
    holder: BodyInfo | None  # None: routing names nobody (competence not modelled there)
    partner: bool
    reason: str


def sheet_levers(sheet: ActionSheet, *, on: date | None = None) -> list[Lever]:
    """For each commune of the sheet and each competence it needs, the competent body (routing) and whether it is
    a partner. A shared competence gives one lever per holder."""
    partners = sheet_partner_ids(sheet)
    comps = catalogue().competences
    out = []
    for commune in sorted(sheet.communes.all(), key=lambda c: c.insee_code):
        for code in sheet.competences:
            comp = comps.get(code)
            if comp is None:
                continue  # a competence gone from the catalogue: nothing to route
            answer = route(comp, commune=commune.insee_code, on=on)
            holders = answer.bodies or (None,)
            for holder in holders:
                out.append(
                    Lever(
                        commune=commune.insee_code,
                        commune_name=commune.name,
                        competence=comp.code,
                        competence_label=comp.label,
                        holder=holder,
                        partner=holder is not None and holder.id in partners,
                        reason=answer.reason.text,
                    )
                )
    return out


@dataclass(frozen=True)
class LeverSummary:
    """Levers of a sheet grouped by (competence, holder): the communes where that body holds it."""

    competence: str
    competence_label: str
    holder: BodyInfo | None
    partner: bool
    communes: tuple[str, ...]
    reason: str


def levers_summary(levers: list[Lever]) -> list[LeverSummary]:
    groups: dict[tuple[str, int | None], list[Lever]] = {}
    for lv in levers:
        groups.setdefault((lv.competence, lv.holder.id if lv.holder else None), []).append(lv)
    out = [
        LeverSummary(
            competence=g[0].competence,
            competence_label=g[0].competence_label,
            holder=g[0].holder,
            partner=g[0].partner,
            communes=tuple(lv.commune_name for lv in g),
            reason=g[0].reason,
        )
        for g in groups.values()
    ]
    return sorted(out, key=lambda s: (s.partner, s.competence_label))


@dataclass(frozen=True)
class OutsideHolders:
    """The holders of one competence that are not in the sheet (one sentence on the page)."""

    competence_label: str
    holders: tuple[LeverSummary, ...]


def outside_holders(summary: list[LeverSummary]) -> list[OutsideHolders]:
    groups: dict[str, list[LeverSummary]] = {}
    for s in summary:
        if not s.partner:
            groups.setdefault(s.competence_label, []).append(s)
    return [OutsideHolders(label, tuple(g)) for label, g in groups.items()]


def sheets_in_force() -> QuerySet[ActionSheet]:
    return ActionSheet.objects.exclude(contract__status__in=CLOSED_CONTRACTS).exclude(phase_status__in=CLOSED_SHEETS)


@dataclass(frozen=True)
class SheetTouch:
    """A sheet in force touching some of the given communes and competences, with who is in it."""

    sheet: ActionSheet
    pilot: Body
    partners: tuple[Body, ...]
    communes: tuple[str, ...]  # the given communes the sheet covers
    competences: tuple[str, ...]  # the given competences the sheet needs


def sheets_touching(*, commune_codes: Iterable[str], competence_codes: Iterable[str]) -> list[SheetTouch]:
    """Action sheets in force (contract not over, sheet neither abandoned nor done) that cover one of
    `commune_codes` (INSEE) and need one of `competence_codes` (catalogue), with their pilot and partners (the
    sheet's partners and the contract's signatories). Used by impacts: those bodies are affected by an action
    there, the sheet being the reason."""
    codes, wanted = set(commune_codes), set(competence_codes)
    if not codes or not wanted:
        return []
    sheets = (
        sheets_in_force()
        .filter(communes__insee_code__in=codes)
        .select_related("pilot", "contract")
        .prefetch_related(
            "partners", "communes", Prefetch("contract__signatories", Signatory.objects.select_related("body"))
        )
        .distinct()
        .order_by("pk")
    )
    out = []
    for sheet in sheets:
        needed = tuple(c for c in sheet.competences if c in wanted)
        if not needed:
            continue  # JSON list containment is not portable to SQLite: filtered here
        partners = {b.pk: b for b in sheet.partners.all()}
        for s in sheet.contract.signatories.all():
            partners.setdefault(s.body_id, s.body)
        partners.pop(sheet.pilot_id, None)
        covered = tuple(sorted(c.insee_code for c in sheet.communes.all() if c.insee_code in codes))
        out.append(SheetTouch(sheet, sheet.pilot, tuple(partners.values()), covered, needed))
    return out


@dataclass(frozen=True)
class HeldLever:
    """A sheet where a body holds levers: the competences and communes concerned, and whether it is in the sheet."""

    sheet: ActionSheet
    competences: tuple[str, ...]
    communes: tuple[str, ...]
    partner: bool


def levers_held_by(body: Body, *, on: date | None = None) -> list[HeldLever]:
    """The sheets in force where routing names `body` for a competence the sheet needs in one of its communes."""
    territory = body_territory(body)
    if not territory:
        return []
    sheets = (
        sheets_in_force()
        .filter(communes__pk__in=territory)
        .select_related("contract", "pilot")
        .prefetch_related("partners", "communes", "contract__signatories")
        .distinct()
        .order_by("pk")
    )
    out = []
    for sheet in sheets:
        held = [lv for lv in sheet_levers(sheet, on=on) if lv.holder is not None and lv.holder.id == body.pk]
        if held:
            out.append(
                HeldLever(
                    sheet=sheet,
                    competences=tuple(dict.fromkeys(lv.competence_label for lv in held)),
                    communes=tuple(dict.fromkeys(lv.commune_name for lv in held)),
                    partner=held[0].partner,
                )
            )
    return out


def shared_files_of(sheet: ActionSheet) -> list[Any]:
    """A sheet's shared files with their versions (content not loaded)."""
    from .models import FileVersion, SharedFile

    versions = FileVersion.objects.defer("content").select_related("uploaded_by").order_by("number")
    return list(SharedFile.objects.filter(sheet=sheet).prefetch_related(Prefetch("versions", versions)))


def shared_file_get(pk: int) -> Any:
    """One shared file with its sheet (raises SharedFile.DoesNotExist); versions without their content."""
    from .models import FileVersion, SharedFile

    versions = FileVersion.objects.defer("content").order_by("number")
    return (
        SharedFile.objects.select_related("sheet__contract", "sheet__pilot")
        .prefetch_related(Prefetch("versions", versions))
        .get(pk=pk)
    )
