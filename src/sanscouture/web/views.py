"""Web pages: thin, they call selectors and services and render DSFR templates."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from sanscouture.accounts.permissions import bodies_declarable_by
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import Exercise
from sanscouture.competences.routing import route_all
from sanscouture.competences.services import exercise_declare, exercise_withdraw
from sanscouture.errors import DomainError
from sanscouture.territories.errors import AmbiguousCommune
from sanscouture.territories.selectors import commune_find, commune_search

from .forms import DeclarationForm


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"statut": "ok"})


@require_GET
def qui(request: HttpRequest) -> HttpResponse:
    """'Qui fait quoi ?': type a commune, see every competence with its body and the reason."""
    text = (request.GET.get("code") or request.GET.get("commune") or "").strip()[:120]
    context: dict[str, object] = {"query": request.GET.get("commune", "")[:120], "title": "Qui fait quoi ?"}
    on_text = request.GET.get("date", "")
    status = 200
    if text:
        try:
            on = date.fromisoformat(on_text) if on_text else None
        except ValueError:
            on = None
            context["error"] = f"La date « {on_text} » n'est pas une date valide (AAAA-MM-JJ)."
            status = 400
        if not context.get("error"):
            try:
                res = commune_find(text)
                answers = route_all(commune=res.commune.insee_code, on=on)
            except AmbiguousCommune as exc:
                context["error"] = exc.message
                context["candidates"] = commune_search_codes(exc.details.get("candidats", []))
                status = 400
            except DomainError as exc:
                context["error"] = exc.message
                status = exc.status if exc.status < 500 else 400
            else:
                themes: dict[str, list[object]] = {}
                comps = catalogue().competences
                for answer in answers:
                    themes.setdefault(comps[answer.subject].theme or "Autres", []).append(answer)
                context.update(resolution=res, commune=res.commune, themes=themes, on=on or date.today(),
                               title=f"Qui fait quoi à {res.commune.name} ?")
    return render(request, "web/qui.html", context, status=status)


def commune_search_codes(codes: list[str]) -> list[object]:
    from sanscouture.territories.models import Commune, CommuneKind

    return list(Commune.objects.filter(kind=CommuneKind.CURRENT, insee_code__in=codes[:20])
                .select_related("departement").order_by("name"))


@require_GET
def commune_suggestions(request: HttpRequest) -> HttpResponse:
    """Autocomplete (htmx): communes matching a name or a postcode."""
    q = request.GET.get("commune", "")[:100]
    return render(request, "web/_suggestions.html", {"communes": commune_search(q, limit=8) if len(q) >= 2 else []})


@login_required
def declarations(request: HttpRequest) -> HttpResponse:
    """Screen where an authorised agent records exercise declarations for their bodies."""
    bodies = bodies_declarable_by(request.user)
    form = DeclarationForm(request.POST or None, bodies=bodies)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                exercise = exercise_declare(body=data["body"], competence=data["competence"],
                                            communes=data["commune_list"], start=data["start"], end=data["end"],
                                            basis=data["basis"], reference=data["reference"], actor=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status if exc.status < 500 else 400
            else:
                messages.success(request, f"Déclaration enregistrée : {exercise.body.name} exerce « "
                                          f"{catalogue().get(exercise.competence).label} » sur "
                                          f"{exercise.communes.count()} commune(s).")
                return redirect("web:declarations")
        else:
            status = 400
    existing = (Exercise.objects.filter(body__in=bodies, withdrawn_at__isnull=True).select_related("body")
                .prefetch_related("communes").order_by("body__name", "-start"))
    labels = {c.code: c.label for c in catalogue().competences.values()}
    return render(request, "web/declarations.html", {
        "form": form, "bodies": bodies, "title": "Déclarations d'exercice de compétences",
        "existing": [(ex, labels.get(ex.competence, ex.competence)) for ex in existing],
    }, status=status)


@login_required
@require_POST
def declaration_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bodies = bodies_declarable_by(request.user)
    exercise = get_object_or_404(Exercise.objects.filter(body__in=bodies, withdrawn_at__isnull=True), pk=pk)
    exercise_withdraw(exercise=exercise, actor=request.user)
    messages.success(request, "Déclaration retirée : la répartition prévue par la loi s'applique de nouveau.")
    return redirect("web:declarations")
