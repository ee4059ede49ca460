"""Web pages: thin, they call selectors and services and render DSFR templates."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.contrib import messages
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.accounts.permissions import bodies_declarable_by
from sanscouture.bodies.models import BodyKind
from sanscouture.catalogue.selectors import life_events
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import Exercise
from sanscouture.competences.routing import Routing, route_all
from sanscouture.competences.services import exercise_declare, exercise_withdraw
from sanscouture.errors import DomainError
from sanscouture.journeys.models import LocalStep
from sanscouture.journeys.services import local_step_add, local_step_withdraw
from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound
from sanscouture.territories.selectors import commune_find, commune_resolve, commune_search

from .forms import DeclarationForm, LocalStepForm

# Why a body is competent, as a DSFR badge: label and colour modifier.
REASON_BADGES = {
    "loi": ("Loi", ""),
    "declaration": ("Déclaration", "fr-badge--info"),
    "statut_particulier": ("Statut particulier", "fr-badge--new"),
    "facultative": ("Compétence facultative", "fr-badge--warning"),
    "annuaire": ("Annuaire", "fr-badge--blue-ecume"),
    "guichet": ("Guichet", "fr-badge--blue-ecume"),
    "non_modelise": ("Non modélisé", "fr-badge--warning"),
    "inconnu": ("Inconnu", "fr-badge--warning"),
}
KIND_LABELS = dict(BodyKind.choices)
MAX_CANDIDATES = 12
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Row:
    """One line of the competences table, ready to render."""

    answer: Routing
    bodies: list[tuple[str, str]]  # (name, kind label)
    badge: tuple[str, str]


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"statut": "ok"})


def _param(request: HttpRequest, name: str, size: int) -> str:
    """A query parameter as typed, without control characters (NUL breaks some databases), bounded."""
    return CONTROL_CHARS.sub("", request.GET.get(name, "")).strip()[:size]


@require_GET
def qui(request: HttpRequest) -> HttpResponse:
    """'Qui fait quoi ?': type a commune, see every competence with its body and the reason."""
    text = _param(request, "code", 120) or _param(request, "commune", 120)
    on_text = _param(request, "date", 20)
    context: dict[str, object] = {
        "query": _param(request, "commune", 120),
        "date_text": on_text,
        "title": "Qui fait quoi ?",
    }
    try:
        on = date.fromisoformat(on_text) if on_text else None
    except ValueError:
        context.update(
            error_title="Date invalide",
            error_field="date",
            error=f"La date « {on_text} » n'est pas une date valide : utilisez le format AAAA-MM-JJ.",
        )
        return render(request, "web/qui.html", context, status=400)
    if not text:
        return render(request, "web/qui.html", context)
    try:
        res = commune_find(text)
        answers = route_all(commune=res.commune.insee_code, on=on)
    except AmbiguousCommune as exc:
        context.update(
            error_title="Plusieurs communes correspondent",
            error=exc.message,
            error_field="commune",
            candidates=_candidates(exc.details.get("candidats", [])),
        )
        return render(request, "web/qui.html", context, status=400)
    except CommuneNotFound as exc:
        context.update(error_title="Commune non trouvée", error=exc.message, error_field="commune")
        return render(request, "web/qui.html", context, status=404)
    except DomainError as exc:
        context.update(
            error_title="Demande invalide",
            error=exc.message,
            error_field="date" if exc.code == "date_hors_validite" else "commune",
        )
        return render(request, "web/qui.html", context, status=exc.status if exc.status < 500 else 400)
    comps = catalogue().competences
    themes: dict[str, list[Row]] = {}
    for answer in answers:
        row = Row(
            answer=answer,
            bodies=[(b.name, KIND_LABELS.get(b.kind, "")) for b in answer.bodies],
            badge=REASON_BADGES.get(answer.reason.kind, (answer.reason.kind, "")),
        )
        themes.setdefault(comps[answer.subject].theme or "Autres compétences", []).append(row)
    commune = res.commune
    context.update(
        resolution=res,
        commune=commune,
        themes=themes,
        on=on or date.today(),
        query=context["query"] or f"{commune.name} ({commune.departement_id})",
        title=f"Qui fait quoi à {commune.name} ?",
    )
    return render(request, "web/qui.html", context)


def _candidates(codes: list[str]) -> list[object]:
    """The current communes an ambiguous text may designate, for links."""
    found = []
    for code in codes[:MAX_CANDIDATES]:
        try:
            found.append(commune_resolve(code).commune)
        except DomainError:
            continue
    return sorted({c.pk: c for c in found}.values(), key=lambda c: (c.name, c.departement_id))


@require_GET
def commune_suggestions(request: HttpRequest) -> HttpResponse:
    """Autocomplete (htmx): communes matching a name or a postcode."""
    q = _param(request, "commune", 100) or _param(request, "commune_depart", 100)  # the two fields of a move
    communes = commune_search(q, limit=8) if len(q) >= 2 else []
    return render(request, "web/_suggestions.html", {"communes": communes, "q": q})


T = TypeVar("T")


def _form_action(form: Any, bodies: list[Any], action: Callable[[dict[str, Any]], T]) -> tuple[T | None, int]:
    """Run a service with a valid form's data: (result, 200), or (None, status) with the French error on the
    form. Nobody to act for is a 403."""
    if not bodies:
        return None, 403
    if not form.is_valid():
        return None, 400
    try:
        return action(form.cleaned_data), 200
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None, exc.status if exc.status < 500 else 400


@agent_required
@require_http_methods(["GET", "POST"])
def declarations(request: HttpRequest) -> HttpResponse:
    """Screen where an authorised agent records exercise declarations for their bodies."""
    bodies = bodies_declarable_by(request.user)
    form = DeclarationForm(request.POST or None, bodies=bodies)
    status = 200
    if request.method == "POST":
        exercise, status = _form_action(
            form,
            bodies,
            lambda data: exercise_declare(
                body=data["body"],
                competence=data["competence"],
                communes=data["commune_list"],
                start=data["start"],
                end=data["end"],
                basis=data["basis"],
                reference=data["reference"],
                actor=request.user,
            ),
        )
        if exercise is not None:
            messages.success(
                request,
                f"Déclaration enregistrée : {exercise.body.name} exerce « "
                f"{catalogue().get(exercise.competence).label} » sur "
                f"{exercise.communes.count()} commune(s).",
            )
            return redirect("web:declarations")
    existing = (
        Exercise.objects.filter(body__in=bodies, withdrawn_at__isnull=True)
        .select_related("body")
        .prefetch_related("communes")
        .order_by("body__name", "-start")
    )
    labels = {c.code: c.label for c in catalogue().competences.values()}
    return render(
        request,
        "web/declarations.html",
        {
            "form": form,
            "bodies": bodies,
            "title": "Déclarations d'exercice de compétences",
            "existing": [(ex, labels.get(ex.competence, ex.competence)) for ex in existing],
        },
        status=status,
    )


@agent_required
@require_POST
def declaration_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bodies = bodies_declarable_by(request.user)
    exercise = get_object_or_404(Exercise.objects.filter(body__in=bodies, withdrawn_at__isnull=True), pk=pk)
    exercise_withdraw(exercise=exercise, actor=request.user)
    messages.success(request, "Déclaration retirée : la répartition prévue par la loi s'applique de nouveau.")
    return redirect("web:declarations")


# --- Local steps: an authorised agent adds steps to a life event for the communes of their bodies ------------------


def _life_event_titles() -> list[tuple[str, str]]:
    """(publication id, title) of every life event, by title; the audience tells apart titles used twice."""
    events = list(life_events())
    counts: dict[str, int] = {}
    for e in events:
        counts[e.publication.title] = counts.get(e.publication.title, 0) + 1
    return [
        (
            e.publication_id,
            e.publication.title
            if counts[e.publication.title] == 1
            else f"{e.publication.title} ({e.get_audience_display()})",
        )
        for e in events
    ]


@agent_required
@require_http_methods(["GET", "POST"])
def etapes_locales(request: HttpRequest) -> HttpResponse:
    """Screen where an authorised agent adds local steps to life events for their bodies, and withdraws them."""
    bodies = bodies_declarable_by(request.user)
    titles = _life_event_titles()
    form = LocalStepForm(request.POST or None, bodies=bodies, life_events=titles)
    status = 200
    if request.method == "POST":
        step, status = _form_action(
            form,
            bodies,
            lambda data: local_step_add(
                body=data["body"],
                life_event=data["life_event"],
                title=data["title"],
                description=data["description"],
                url=data["url"],
                start=data["start"],
                end=data["end"],
                actor=request.user,
            ),
        )
        if step is not None:
            messages.success(
                request,
                f"Étape enregistrée : « {step.title} » apparaîtra dans le parcours « "
                f"{dict(titles).get(step.life_event, step.life_event)} » pour les communes de {step.body.name}.",
            )
            return redirect("web:etapes_locales")
    today = date.today()
    existing = (
        LocalStep.objects.filter(body__in=bodies, withdrawn_at__isnull=True)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .select_related("body")
        .order_by("body__name", "life_event", "start", "pk")
    )
    labels = dict(titles)
    return render(
        request,
        "web/etapes_locales.html",
        {
            "form": form,
            "bodies": bodies,
            "title": "Étapes locales des moments de vie",
            "existing": [(s, labels.get(s.life_event, s.life_event)) for s in existing],
        },
        status=status,
    )


@agent_required
@require_POST
def etape_locale_withdraw(request: HttpRequest, step_id: int) -> HttpResponse:
    bodies = bodies_declarable_by(request.user)
    step = get_object_or_404(
        LocalStep.objects.filter(body__in=bodies, withdrawn_at__isnull=True).select_related("body"), pk=step_id
    )
    local_step_withdraw(step=step, actor=request.user)
    messages.success(request, f"Étape retirée : « {step.title} » n'apparaît plus dans les parcours.")
    return redirect("web:etapes_locales")
