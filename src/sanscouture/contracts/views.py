"""Pages of contracts and action sheets (agents): the contract with its sheets' levers, the sheet with « les
leviers chez les autres », and a body's contracts and the sheets where it holds a lever."""

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.bodies.models import Body
from sanscouture.errors import DomainError
from sanscouture.territories.selectors import commune_find

from .forms import BudgetDecisionForm, FileVersionForm, ProjetsImportForm, SharedFileForm
from .ifc import ifc_diff
from .models import ActionSheet, BudgetLine, FileAction, FileVersion, SharedFile
from .permissions import can_act_for, can_edit_contract, can_edit_sheet, can_use_sheet_files
from .projets_territoire import export_sheets
from .selectors import (
    contracts_list,
    levers_held_by,
    levers_summary,
    outside_holders,
    shared_file_get,
    shared_files_of,
    sheet_get,
    sheet_levers,
    sheets_of,
)
from .services import budget_line_set, file_access_record, file_version_add, projets_import, shared_file_add


@agent_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("commune", "").strip()[:60]
    commune, error = None, ""
    if code:
        try:
            commune = commune_find(code).commune
        except DomainError as exc:
            error = exc.message
    contracts = list(contracts_list(commune=commune).prefetch_related("sheets")[:200]) if not error else []
    mine = Body.objects.filter(memberships__user=request.user, active=True).order_by("name")
    return render(
        request,
        "contracts/contract_list.html",
        {"contracts": contracts, "commune": commune, "code": code, "error": error, "mine": mine, "title": "Contrats"},
        status=400 if error else 200,
    )


@agent_required
@require_GET
def contract_detail(request: HttpRequest, contrat_id: int) -> HttpResponse:
    contract = get_object_or_404(contracts_list().prefetch_related("communes"), pk=contrat_id)
    sheets = []
    for sheet in sheets_of(contract):
        summary = levers_summary(sheet_levers(sheet))
        sheets.append({"sheet": sheet, "outside": [s for s in summary if not s.partner], "levers": summary})
    editable = can_edit_contract(request.user, contract)
    return render(
        request,
        "contracts/contract.html",
        {
            "contract": contract,
            "sheets": sheets,
            "can_edit": editable,
            "import_form": ProjetsImportForm(contract=contract) if editable else None,
            "title": contract.title,
        },
    )


@agent_required
@require_GET
def contract_export(request: HttpRequest, contrat_id: int, fmt: str) -> HttpResponse:
    """The contract's sheets in the projets-territoire schema, as CSV or JSON (validated before it leaves)."""
    if fmt not in ("csv", "json"):
        raise Http404
    contract = get_object_or_404(contracts_list(), pk=contrat_id)
    records, data = export_sheets(sheets_of(contract).select_related("contract"))
    if fmt == "json":
        response = HttpResponse(json.dumps(records, ensure_ascii=False, indent=2), content_type="application/json")
    else:
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="projets-territoire-contrat-{contract.pk}.{fmt}"'
    return response


@agent_required
@require_POST
def contract_import(request: HttpRequest, contrat_id: int) -> HttpResponse:
    """Import sheets from a projets-territoire file (CSV or JSON): all or nothing, with the lines at fault."""
    contract = get_object_or_404(contracts_list(), pk=contrat_id)
    if not can_edit_contract(request.user, contract):
        raise Http404  # the form is not offered to those who cannot import
    form = ProjetsImportForm(request.POST, request.FILES, contract=contract)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = "json" if upload.name.lower().endswith(".json") else "csv"
        try:
            report = projets_import(
                contract=contract,
                data=upload.read(settings.SANSCOUTURE_SHARED_FILE_MAX_SIZE + 1),
                fmt=fmt,
                pilot=form.cleaned_data["pilot"],
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, f"Import refusé, rien n'a été enregistré : {exc.message}")
        else:
            messages.success(request, f"Import : {report.created} fiche(s) créée(s), {report.updated} mise(s) à jour.")
    else:
        messages.error(request, "Import refusé : choisissez un fichier et le pilote des fiches.")
    return redirect("contracts:contract", contrat_id=contract.pk)


def _sheet(fiche_id: int) -> ActionSheet:
    try:
        return sheet_get(fiche_id)
    except ActionSheet.DoesNotExist:
        raise Http404 from None


def _sheet_page(request: HttpRequest, sheet: ActionSheet, *, form: SharedFileForm | None = None, status: int = 200):
    summary = levers_summary(sheet_levers(sheet))
    member = can_use_sheet_files(request.user, sheet)
    editable = can_edit_sheet(request.user, sheet)
    # Lines whose decision this user may record: all of them for the sheet's editors, a funder's own otherwise.
    decidable = [
        (line, BudgetDecisionForm(prefix=f"ligne{line.pk}", initial={"status": line.status, "amount": line.amount}))
        for line in sheet.budget_lines.all()
        if editable or can_act_for(request.user, line.funder)
    ]
    return render(
        request,
        "contracts/sheet.html",
        {
            "sheet": sheet,
            "contract": sheet.contract,
            "levers": summary,
            "outside": outside_holders(summary),
            "can_edit": editable,
            "decisions": decidable,
            "member": member,
            "files": shared_files_of(sheet) if member else [],
            "file_form": form or SharedFileForm(),
            "title": sheet.title,
        },
        status=status,
    )


@agent_required
@require_GET
def sheet_detail(request: HttpRequest, fiche_id: int) -> HttpResponse:
    return _sheet_page(request, _sheet(fiche_id))


@agent_required
@require_POST
def sheet_file_new(request: HttpRequest, fiche_id: int) -> HttpResponse:
    """Share a file (an IFC model is summarised); a refused file stores nothing and says why."""
    sheet = _sheet(fiche_id)
    if not can_use_sheet_files(request.user, sheet):
        return _sheet_page(request, sheet, status=403)
    form = SharedFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            shared = shared_file_add(
                sheet=sheet,
                title=form.cleaned_data["title"],
                name=upload.name,
                content=upload.read(settings.SANSCOUTURE_SHARED_FILE_MAX_SIZE + 1),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"Fichier « {shared.title} » partagé avec les partenaires de la fiche.")
            return redirect("contracts:file", file_id=shared.pk)
    return _sheet_page(request, sheet, form=form, status=400)


@agent_required
@require_POST
def budget_decide(request: HttpRequest, ligne_id: int) -> HttpResponse:
    """Record where a budget line stands (requested, granted, paid), its amount and date: the sheet's editors or
    the funder's administrators and référents. Amounts are never negative nor above the line's total."""
    line = get_object_or_404(
        BudgetLine.objects.select_related("sheet__contract", "sheet__pilot", "funder"), pk=ligne_id
    )
    form = BudgetDecisionForm(request.POST, prefix=f"ligne{line.pk}")
    if not form.is_valid():
        messages.error(request, "Décision refusée : statut, montant ou date invalide. Rien n'a été enregistré.")
    else:
        data = form.cleaned_data
        try:
            budget_line_set(line=line, status=data["status"], amount=data["amount"], on=data["on"], actor=request.user)
        except DomainError as exc:
            if exc.status == 403:
                messages.error(request, exc.message)
                return _sheet_page(request, _sheet(line.sheet_id), status=403)
            messages.error(request, f"Décision refusée : {exc.message} Rien n'a été enregistré.")
        else:
            messages.success(request, f"Ligne de {line.funder.name} : {line.get_status_display().lower()}.")
    return redirect(f"{reverse('contracts:sheet', args=[line.sheet_id])}#budget")


def _file(request: HttpRequest, file_id: int) -> SharedFile:
    """A shared file, for the partners of its sheet only (404 for others: its existence is not shown)."""
    try:
        shared = shared_file_get(file_id)
    except SharedFile.DoesNotExist:
        raise Http404 from None
    if not can_use_sheet_files(request.user, shared.sheet):
        raise Http404
    return shared


@never_cache
@agent_required
@require_GET
def file_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    """The latest version's summary (an IFC model: project, buildings, storeys, spaces) and, with `de` and `a`, the
    difference between two versions. Each view is journaled."""
    shared = _file(request, file_id)
    versions = list(shared.versions.all())
    latest = versions[-1]
    numbers = {v.number: v for v in versions}
    diff, pair = None, None
    try:
        before, after = int(request.GET.get("de", "0")), int(request.GET.get("a", "0"))
    except ValueError:
        before = after = 0
    if before in numbers and after in numbers and before != after:
        pair = (numbers[before], numbers[after])
        diff = ifc_diff(pair[0].summary, pair[1].summary)
        file_access_record(file=shared, actor=request.user, action=FileAction.DIFF, version=pair[1])
    else:
        file_access_record(file=shared, actor=request.user, action=FileAction.VIEW, version=latest)
    accesses = shared.accesses.select_related("user").order_by("-at", "-pk")[:50]
    return render(
        request,
        "contracts/file.html",
        {
            "file": shared,
            "sheet": shared.sheet,
            "versions": versions,
            "latest": latest,
            "summary": latest.summary,
            "diff": diff,
            "pair": pair,
            "version_form": FileVersionForm(),
            "accesses": accesses,
            "title": shared.title,
        },
    )


@agent_required
@require_POST
def file_version_new(request: HttpRequest, file_id: int) -> HttpResponse:
    shared = _file(request, file_id)
    form = FileVersionForm(request.POST, request.FILES)
    error = "Choisissez un fichier."
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            version = file_version_add(
                file=shared,
                name=upload.name,
                content=upload.read(settings.SANSCOUTURE_SHARED_FILE_MAX_SIZE + 1),
                actor=request.user,
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"Version {version.number} déposée.")
            return redirect(f"{reverse('contracts:file', args=[shared.pk])}?de={version.number - 1}&a={version.number}")
    messages.error(request, f"Version refusée : {error} Rien n'a été enregistré.")
    return redirect("contracts:file", file_id=shared.pk)


@never_cache
@agent_required
@require_GET
def file_download(request: HttpRequest, file_id: int, number: int) -> HttpResponse:
    shared = _file(request, file_id)
    version = get_object_or_404(FileVersion, file=shared, number=number)
    file_access_record(file=shared, actor=request.user, action=FileAction.DOWNLOAD, version=version)
    response = HttpResponse(bytes(version.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{_safe_name(version.name)}"'
    return response


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120] or "fichier"


@agent_required
@require_GET
def body_levers(request: HttpRequest, body_id: int) -> HttpResponse:
    body = get_object_or_404(Body, pk=body_id)
    return render(
        request,
        "contracts/body_levers.html",
        {
            "body": body,
            "signed": list(contracts_list(body=body)),
            "held": levers_held_by(body),
            "title": f"Contrats et leviers — {body.name}",
        },
    )
