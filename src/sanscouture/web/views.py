"""Web pages: thin, they call selectors and services and render DSFR templates."""

from collections.abc import Callable
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
from sanscouture.catalogue.selectors import life_events
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import Exercise
from sanscouture.competences.services import exercise_declare, exercise_withdraw
from sanscouture.errors import DomainError
from sanscouture.journeys.models import LocalStep
from sanscouture.journeys.services import local_step_add, local_step_withdraw

from .forms import DeclarationForm, LocalStepForm


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"statut": "ok"})


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
