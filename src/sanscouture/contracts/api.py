"""Contracts, action sheets and the levers held by the others (/api/v1). Agents and API tokens (a token acts as
its body); reads are open to every agent, writes decided in contracts.permissions."""

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from sanscouture.apiauth import agent_or_token
from sanscouture.apicontract import errors
from sanscouture.bodies.models import Body
from sanscouture.competences.routing import BodyInfo
from sanscouture.competences.schemas import BodyOut
from sanscouture.territories.selectors import commune_resolve

from .models import ActionSheet, BudgetLine, Contract, Indicator
from .projets_territoire import export_sheets
from .schemas import (
    BudgetLineIn,
    BudgetLineOut,
    BudgetStatusIn,
    ContractDetailOut,
    ContractIn,
    ContractOut,
    DocumentOut,
    HeldLeverOut,
    ImportOut,
    IndicatorIn,
    IndicatorOut,
    IndicatorValueIn,
    IndicatorValueOut,
    LeverOut,
    ProjetOut,
    ProjetsImportIn,
    SheetBriefOut,
    SheetIn,
    SheetOut,
    SheetStepIn,
    SheetStepOut,
    SignatoryOut,
    StructureRefOut,
)
from .selectors import contracts_list, levers_held_by, sheet_get, sheet_levers, sheets_of
from .services import (
    active_bodies,
    budget_line_add,
    budget_line_set,
    contract_create,
    indicator_add,
    indicator_measure,
    projets_import,
    sheet_create,
    step_add,
)

router = Router(tags=["Contrats et fiches action"])
AUTH: list[Any] = list(agent_or_token)
WRITE = errors(400, 401, 403, 404, 422)


def body_out(b: Body) -> BodyOut:
    return BodyOut(id=b.pk, cle=b.key, nom=b.name, type=b.kind)


def contract_out(c: Contract) -> ContractOut:
    return ContractOut(
        id=c.pk,
        type=c.kind,
        type_libelle=c.get_kind_display(),
        titre=c.title,
        perimetre=c.perimeter,
        communes=sorted(x.insee_code for x in c.communes.all()),
        signataires=[SignatoryOut(structure=body_out(s.body), role=s.role) for s in c.signatories.all()],
        debut=c.start,
        fin=c.end,
        axes=c.axes,
        documents=[DocumentOut(titre=d.get("titre", ""), url=d.get("url", "")) for d in c.documents],
        statut=c.status,
    )


def sheet_out(s: ActionSheet) -> SheetOut:
    return SheetOut(
        id=s.pk,
        uid=str(s.uid),
        contrat=s.contract_id,
        titre=s.title,
        description=s.description,
        axe=s.axis,
        pilote=body_out(s.pilot),
        partenaires=[body_out(b) for b in s.partners.all()],
        competences=s.competences,
        communes=sorted(c.insee_code for c in s.communes.all()),
        phase=s.phase,
        phase_statut=s.phase_status,
        leviers_sgpe=s.levers,
        debut_previsionnel=s.planned_start,
        budget_previsionnel=s.planned_budget,
        etapes=[
            SheetStepOut(id=x.pk, titre=x.title, prevue_le=x.planned_on, faite_le=x.done_on) for x in s.steps.all()
        ],
        lignes_budgetaires=[line_out(x) for x in s.budget_lines.all()],
        indicateurs=[indicator_out(i) for i in s.indicators.all()],
    )


def line_out(x: BudgetLine) -> BudgetLineOut:
    return BudgetLineOut(
        id=x.pk,
        financeur=body_out(x.funder),
        libelle=x.label,
        total=float(x.total),
        montant=float(x.amount),
        statut=x.status,
        date=x.on,
    )


def indicator_out(i: Indicator) -> IndicatorOut:
    return IndicatorOut(
        id=i.pk,
        libelle=i.label,
        unite=i.unit,
        cible=float(i.target) if i.target is not None else None,
        valeurs=[IndicatorValueOut(date=v.on, valeur=float(v.value)) for v in i.values.all()],
    )


def _ref(b: BodyInfo | None) -> StructureRefOut | None:
    return StructureRefOut(id=b.id, cle=b.key, nom=b.name) if b else None


def _contract(id: int) -> Contract:
    return get_object_or_404(contracts_list(), pk=id)


def _sheet(id: int) -> ActionSheet:
    try:
        return sheet_get(id)
    except ActionSheet.DoesNotExist:
        from django.http import Http404

        raise Http404 from None


class ContractFilters(Schema):
    commune: str | None = None
    structure: int | None = None
    limite: int = Field(50, ge=1, description="Nombre de contrats (au plus 200)")
    decalage: int = Field(0, ge=0, description="Contrats à sauter")


@router.get(
    "/contrats", response={200: list[ContractOut]}, auth=AUTH, summary="Les contrats (filtres : commune, structure)"
)
def contracts(request: HttpRequest, filters: Query[ContractFilters]) -> list[ContractOut]:
    commune = commune_resolve(filters.commune).commune if filters.commune else None
    body = get_object_or_404(Body, pk=filters.structure) if filters.structure is not None else None
    limit, offset = min(filters.limite, 200), filters.decalage
    qs = contracts_list(commune=commune, body=body).prefetch_related("communes")
    return [contract_out(c) for c in qs[offset : offset + limit]]


@router.post(
    "/contrats",
    response={201: ContractOut, **WRITE},
    auth=AUTH,
    summary="Enregistrer un contrat (pour l'un de ses signataires)",
)
def contract_new(request: HttpRequest, payload: ContractIn) -> Status[ContractOut]:
    bodies = active_bodies(ids=payload.signataires, what="Signataires")
    roles = list(payload.roles) + ["signataire"] * len(bodies)
    with transaction.atomic():
        c = contract_create(
            kind=payload.type,
            title=payload.titre,
            perimeter=list(payload.perimetre),
            signatories=[(b, roles[i] or "signataire") for i, b in enumerate(bodies)],
            start=payload.debut,
            end=payload.fin,
            axes=list(payload.axes),
            documents=[d.model_dump() for d in payload.documents],
            status=payload.statut,
            actor=request.user,
        )
    return Status(201, contract_out(_contract(c.pk)))


@router.get("/contrats/{id}", response=ContractDetailOut, auth=AUTH, summary="Un contrat et ses fiches")
def contract_detail(request: HttpRequest, id: int) -> ContractDetailOut:
    c = _contract(id)
    fiches = [
        SheetBriefOut(id=s.pk, titre=s.title, pilote=body_out(s.pilot), phase=s.phase, phase_statut=s.phase_status)
        for s in sheets_of(c)
    ]
    return ContractDetailOut(**contract_out(c).model_dump(), fiches=fiches)


@router.get("/contrats/{id}/fiches", response=list[SheetOut], auth=AUTH, summary="Les fiches action d'un contrat")
def contract_sheets(request: HttpRequest, id: int) -> list[SheetOut]:
    c = _contract(id)
    qs = sheets_of(c).prefetch_related("steps", "budget_lines__funder", "indicators__values")
    return [sheet_out(s) for s in qs]


@router.post(
    "/contrats/{id}/fiches",
    response={201: SheetOut, **WRITE},
    auth=AUTH,
    summary="Ajouter une fiche action (signataire du contrat)",
)
def contract_sheet_new(request: HttpRequest, id: int, payload: SheetIn) -> Status[SheetOut]:
    c = _contract(id)
    pilot = active_bodies(ids=[payload.pilote], what="Pilote")[0]
    partners = active_bodies(ids=payload.partenaires, what="Partenaires")
    communes = [commune_resolve(code).commune for code in dict.fromkeys(payload.communes)]
    with transaction.atomic():
        s = sheet_create(
            contract=c,
            title=payload.titre,
            description=payload.description,
            axis=payload.axe,
            pilot=pilot,
            partners=partners,
            competences=list(payload.competences),
            communes=communes,
            phase=payload.phase,
            phase_status=payload.phase_statut,
            levers=list(payload.leviers_sgpe),
            planned_start=payload.debut_previsionnel,
            planned_budget=payload.budget_previsionnel,
            actor=request.user,
        )
    return Status(201, sheet_out(sheet_get(s.pk)))


@router.get("/fiches/{id}", response=SheetOut, auth=AUTH, summary="Une fiche action")
def sheet_detail(request: HttpRequest, id: int) -> SheetOut:
    return sheet_out(_sheet(id))


@router.get(
    "/fiches/{id}/leviers",
    response=list[LeverOut],
    auth=AUTH,
    summary="Les leviers chez les autres : qui exerce chaque compétence de la fiche dans chacune de ses communes",
)
def sheet_lever_list(request: HttpRequest, id: int) -> list[LeverOut]:
    return [
        LeverOut(
            commune=lv.commune,
            commune_nom=lv.commune_name,
            competence=lv.competence,
            competence_libelle=lv.competence_label,
            structure=_ref(lv.holder),
            partenaire=lv.partner,
            raison=lv.reason,
        )
        for lv in sheet_levers(_sheet(id))
    ]


@router.post(
    "/fiches/{id}/lignes-budgetaires",
    response={201: BudgetLineOut, **WRITE},
    auth=AUTH,
    summary="Ajouter une ligne budgétaire (financeur, montant, statut)",
)
def sheet_budget_new(request: HttpRequest, id: int, payload: BudgetLineIn) -> Status[BudgetLineOut]:
    s = _sheet(id)
    funder = active_bodies(ids=[payload.financeur], what="Financeur")[0]
    line = budget_line_add(
        sheet=s,
        funder=funder,
        total=payload.total,
        amount=payload.montant,
        status=payload.statut,
        on=payload.date,
        label=payload.libelle,
        actor=request.user,
    )
    return Status(201, line_out(line))


@router.post(
    "/lignes-budgetaires/{ligne_id}/statut",
    response={200: BudgetLineOut, **WRITE},
    auth=AUTH,
    summary="Faire avancer une ligne budgétaire (sollicité, accordé, versé)",
)
def budget_status(request: HttpRequest, ligne_id: int, payload: BudgetStatusIn) -> BudgetLineOut:
    line = get_object_or_404(
        BudgetLine.objects.select_related("sheet__contract", "sheet__pilot", "funder"), pk=ligne_id
    )
    line = budget_line_set(
        line=line, status=payload.statut, amount=payload.montant, on=payload.date, actor=request.user
    )
    return line_out(line)


@router.post("/fiches/{id}/etapes", response={201: SheetStepOut, **WRITE}, auth=AUTH, summary="Ajouter une étape")
def sheet_step_new(request: HttpRequest, id: int, payload: SheetStepIn) -> Status[SheetStepOut]:
    x = step_add(
        sheet=_sheet(id),
        title=payload.titre,
        planned_on=payload.prevue_le,
        done_on=payload.faite_le,
        actor=request.user,
    )
    return Status(201, SheetStepOut(id=x.pk, titre=x.title, prevue_le=x.planned_on, faite_le=x.done_on))


@router.post(
    "/fiches/{id}/indicateurs", response={201: IndicatorOut, **WRITE}, auth=AUTH, summary="Ajouter un indicateur"
)
def sheet_indicator_new(request: HttpRequest, id: int, payload: IndicatorIn) -> Status[IndicatorOut]:
    i = indicator_add(
        sheet=_sheet(id), label=payload.libelle, unit=payload.unite, target=payload.cible, actor=request.user
    )
    return Status(201, indicator_out(i))


@router.post(
    "/indicateurs/{indicateur_id}/valeurs",
    response={201: IndicatorOut, **WRITE},
    auth=AUTH,
    summary="Enregistrer une valeur mesurée d'un indicateur",
)
def indicator_value_new(request: HttpRequest, indicateur_id: int, payload: IndicatorValueIn) -> Status[IndicatorOut]:
    i = get_object_or_404(Indicator.objects.select_related("sheet__contract", "sheet__pilot"), pk=indicateur_id)
    indicator_measure(indicator=i, on=payload.date, value=payload.valeur, actor=request.user)
    return Status(201, indicator_out(Indicator.objects.prefetch_related("values").get(pk=i.pk)))


@router.get(
    "/communes/{code}/contrats",
    response=list[ContractOut],
    auth=AUTH,
    summary="Les contrats dont le périmètre comprend une commune",
)
def commune_contracts(request: HttpRequest, code: str) -> list[ContractOut]:
    commune = commune_resolve(code).commune
    return [contract_out(c) for c in contracts_list(commune=commune).prefetch_related("communes")[:200]]


@router.get(
    "/structures/{structure_id}/leviers",
    response=list[HeldLeverOut],
    auth=AUTH,
    summary="Les fiches action où une structure détient un levier (compétence exercée dans leurs communes)",
)
def body_levers(request: HttpRequest, structure_id: int) -> list[HeldLeverOut]:
    body = get_object_or_404(Body, pk=structure_id)
    return [
        HeldLeverOut(
            fiche=h.sheet.pk,
            fiche_titre=h.sheet.title,
            contrat=h.sheet.contract_id,
            contrat_titre=h.sheet.contract.title,
            competences=list(h.competences),
            communes=list(h.communes),
            partenaire=h.partner,
        )
        for h in levers_held_by(body)
    ]


@router.get(
    "/contrats/{id}/projets-territoire",
    response=list[ProjetOut],
    auth=AUTH,
    summary="Les fiches action d'un contrat au schéma national projets-territoire (v0.1.0), vérifiées par frictionless",
)
def contract_projets(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    records, _ = export_sheets(sheets_of(_contract(id)).select_related("contract"))
    return records


@router.post(
    "/contrats/{id}/projets-territoire",
    response={201: ImportOut, **WRITE},
    auth=AUTH,
    summary="Importer des fiches au schéma projets-territoire (créées, ou mises à jour par leur id)",
)
def contract_projets_import(request: HttpRequest, id: int, payload: ProjetsImportIn) -> Status[ImportOut]:
    contract = _contract(id)
    pilot = active_bodies(ids=[payload.pilote], what="Pilote")[0]
    data = json.dumps(payload.projets, ensure_ascii=False, default=str).encode("utf-8")
    report = projets_import(contract=contract, data=data, fmt="json", pilot=pilot, actor=request.user)
    return Status(201, ImportOut(crees=report.created, mis_a_jour=report.updated))
