"""Moments de vie pages: the list, a life event's questionnaire, and the journey (shareable, printable).

Thin: they read the query string, call `journey_compute` and render DSFR templates. A journey is a read: its
URL carries the answers (`choix`), the commune where the person lives (`commune`) and, for a move, the commune
left (`commune_depart`); nothing is stored.
"""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from sanscouture.catalogue.errors import LifeEventNotFound
from sanscouture.catalogue.models import Audience, LifeEvent
from sanscouture.catalogue.selectors import life_event_get, life_events
from sanscouture.errors import DomainError
from sanscouture.safetext import FORBIDDEN_IN_LINE, query_param
from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound
from sanscouture.territories.models import Commune
from sanscouture.territories.selectors import Resolution, commune_candidates, commune_find

from .errors import ConflictingChoices, UnknownChoice
from .selectors import Journey, is_move, journey_compute, variables_for

QUESTION_PREFIX = "q-"  # the questionnaire's radio groups: one name per question, turned into `choix` parameters


class _CommuneError(Exception):
    """A commune field the person must correct: which field, the page's error and the communes it may mean."""

    def __init__(self, field: str, exc: DomainError) -> None:
        super().__init__(exc.message)
        self.field, self.exc = field, exc


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def _journey_params(request: HttpRequest) -> dict[str, Any]:
    """What the questionnaire and the journey read from the query string, as typed."""
    choices = (FORBIDDEN_IN_LINE.sub("", v).strip()[:120] for v in request.GET.getlist("choix"))
    return {
        "choices": [c for c in choices if c][:50],
        "commune_text": query_param(request, "commune", 120),
        "depart_text": query_param(request, "commune_depart", 120),
        "date_text": query_param(request, "date", 20),
        "partial": request.GET.get("partiel") == "1",
    }


def _journey_query(
    *, choices: list[str], commune: str, depart: str = "", date_text: str = "", partial: bool = False
) -> str:
    """The query string of a journey: `commune`, `commune_depart` for a move, one `choix` per answer, `date`."""
    params: list[tuple[str, str]] = [("commune", commune)]
    if depart:
        params.append(("commune_depart", depart))
    params += [("choix", c) for c in choices]
    if date_text:
        params.append(("date", date_text))
    if partial:
        params.append(("partiel", "1"))
    return urlencode(params)


def _label(commune: Commune) -> str:
    return f"{commune.name} ({commune.departement_id})"


def _questionnaire(
    request: HttpRequest, event: LifeEvent, params: dict[str, Any], status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "event": event,
        "move": is_move(event.slug),
        "title": f"{event.publication.title} — vos réponses",
        "selected": set(params["choices"]),
        "choices": params["choices"],
        "query": params["commune_text"],
        "depart_query": params["depart_text"],
        "date_text": params["date_text"],
        **extra,
    }
    return render(request, "journeys/moment_de_vie.html", context, status=status)


@require_GET
def moments_de_vie(request: HttpRequest) -> HttpResponse:
    """The life events ("Comment faire si…") by audience."""
    groups = [(value, label, list(life_events(value))) for value, label in Audience.choices]
    return render(
        request,
        "journeys/moments_de_vie.html",
        {"groups": [g for g in groups if g[2]], "title": "Moments de vie"},
    )


@require_GET
def moment_de_vie(request: HttpRequest, slug: str) -> HttpResponse:
    """A life event's questionnaire and commune(s); answers may be pre-filled from the query string."""
    try:
        event = life_event_get(slug)
    except LifeEventNotFound as exc:
        return _not_found(request, exc.message)
    return _questionnaire(request, event, _journey_params(request))


def _find(field: str, text: str) -> Resolution:
    try:
        return commune_find(text)
    except DomainError as exc:
        raise _CommuneError(field, exc) from exc


@require_GET
def parcours(request: HttpRequest, slug: str) -> HttpResponse:
    """The journey: every step of the life event for these answers, routed to the bodies of the commune."""
    try:
        event = life_event_get(slug)
    except LifeEventNotFound as exc:
        return _not_found(request, exc.message)
    params = _journey_params(request)
    answers = [
        FORBIDDEN_IN_LINE.sub("", v).strip()[:120]
        for k, v in request.GET.items()
        if k.startswith(QUESTION_PREFIX) and v.strip()
    ]
    if answers or any(k.startswith(QUESTION_PREFIX) for k in request.GET):
        # The questionnaire's form: one parameter per question → the shareable URL, `choix` repeated.
        query = _journey_query(
            choices=params["choices"] + answers,
            commune=params["commune_text"],
            depart=params["depart_text"],
            date_text=params["date_text"],
            partial=params["partial"],
        )
        return redirect(f"{reverse('journeys:parcours', args=[event.slug])}?{query}")
    move = is_move(event.slug)
    date_text = params["date_text"]
    try:
        on = date.fromisoformat(date_text) if date_text else None
    except ValueError:
        return _questionnaire(
            request,
            event,
            params,
            400,
            error_title="Date invalide",
            error_field="date",
            error=f"La date « {date_text} » n'est pas une date valide : utilisez le format AAAA-MM-JJ.",
        )
    try:
        _, answers_given = variables_for(event, params["choices"])
        res = _find("commune", params["commune_text"])
        left = _find("commune_depart", params["depart_text"]) if move and params["depart_text"] else None
        journey = journey_compute(
            life_event=event.slug, choices=params["choices"], commune=res.commune.insee_code, on=on
        )
        departure = (
            journey_compute(life_event=event.slug, choices=params["choices"], commune=left.commune.insee_code, on=on)
            if left and left.commune.pk != res.commune.pk
            else None
        )
    except (UnknownChoice, ConflictingChoices) as exc:
        return _questionnaire(
            request, event, params, 400, error_title="Réponses invalides", error_field="choix", error=exc.message
        )
    except _CommuneError as err:
        exc = err.exc
        title = {AmbiguousCommune: "Plusieurs communes correspondent", CommuneNotFound: "Commune non trouvée"}.get(
            type(exc), "Demande invalide"
        )
        return _questionnaire(
            request,
            event,
            params,
            404 if isinstance(exc, CommuneNotFound) else 400,
            error_title=title,
            error_field=err.field,
            error=exc.message,
            candidates=commune_candidates(exc.details.get("candidats", [])),
            did_you_mean=isinstance(exc, CommuneNotFound),
        )
    except DomainError as exc:
        return _questionnaire(
            request,
            event,
            params,
            exc.status if exc.status < 500 else 400,
            error_title="Demande invalide",
            error_field="date" if exc.code == "date_hors_validite" else "commune",
            error=exc.message,
        )
    if journey.unanswered and not params["partial"]:
        # The questionnaire keeps its promise: say which questions have no answer and what the journey would miss.
        return _questionnaire(
            request,
            event,
            params,
            unanswered=journey.unanswered,
            unanswered_titles={u.question for u in journey.unanswered},
            missing_answers=True,
        )
    return _journey_page(request, event, journey, res, left.commune if left else None, departure, params)


def _journey_page(
    request: HttpRequest,
    event: LifeEvent,
    journey: Journey,
    res: Resolution,
    left: Commune | None,
    departure: Journey | None,
    params: dict[str, Any],
) -> HttpResponse:
    commune = res.commune
    date_text = params["date_text"]
    # Links carry the commune's label, never a bare code: "13008" typed again would be a postcode too.
    share_query = _journey_query(
        choices=journey.choices,
        commune=_label(commune),
        depart=_label(left) if left else "",
        date_text=date_text,
        partial=params["partial"],
    )
    edit_query = _journey_query(
        choices=journey.choices,
        commune=_label(commune),
        depart=_label(left) if left else "",
        date_text=date_text,
    )
    declare = [("commune", _label(commune))]
    if left:
        declare.append(("commune_depart", _label(left)))
    declare += [("choix", c) for c in journey.choices]
    return render(
        request,
        "journeys/parcours.html",
        {
            "journey": journey,
            "event": event,
            "commune": commune,
            "commune_left": left,
            "departure_offices": _departure_offices(journey, departure),
            "resolution_message": res.message or journey.commune_message,
            "share_url": request.build_absolute_uri(f"{reverse('journeys:parcours', args=[event.slug])}?{share_query}"),
            "edit_url": f"{reverse('journeys:moment_de_vie', args=[event.slug])}?{edit_query}",
            "declare_url": f"{reverse('cases:declaration', args=[event.slug])}?{urlencode(declare)}",
            "date_text": date_text,
            "site_root": request.build_absolute_uri("/").rstrip("/"),
            "title": f"{event.publication.title} — votre parcours à {commune.name}",
        },
    )


def _departure_offices(arrival: Journey, departure: Journey | None) -> list[tuple[str, list[str]]]:
    """For a move: the bodies of the commune left that the steps name (and that the new commune does not share),
    with the steps they serve."""
    if departure is None:
        return []
    here = {b.id for s in arrival.steps for o in s.offices for b in o.bodies}
    found: dict[str, list[str]] = {}
    for step in departure.steps:
        for office in step.offices:
            for body in office.bodies:
                if body.id not in here and step.title not in found.setdefault(body.name, []):
                    found[body.name].append(step.title)
    return list(found.items())
