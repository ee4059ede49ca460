"""Pages of the guichet unique: the person's declaration and follow-up, the agents' tasks and cases.

Thin: every agent view starts from the agent's scope (selectors raise CaseNotFound → 404 outside it) and calls
one service per action. The person's pages are reached through the private link only."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.catalogue.errors import LifeEventNotFound
from sanscouture.catalogue.selectors import life_event_get, life_events
from sanscouture.errors import DomainError
from sanscouture.journeys.selectors import is_move
from sanscouture.safetext import FORBIDDEN_IN_LINE, query_param
from sanscouture.territories.models import Commune
from sanscouture.territories.selectors import commune_find

from .errors import CaseNotFound
from .fields import declaration_fields, questionnaire_answers
from .forms import (
    CaseDeclarationForm,
    DecisionForm,
    HandoverForm,
    OpinionForm,
    StatusForm,
    TaskFilterForm,
    TextForm,
)
from .models import Case, Handover, OpinionRequest, OutcomeRating, RefusalReason, Task, TaskStatus
from .selectors import (
    access_log_for_agent,
    access_log_for_person,
    agent_bodies,
    bodies_search,
    case_get_for_agent,
    case_get_for_person,
    case_view_for_agent,
    case_view_for_person,
    declaration_bodies,
    handover_suggestions,
    tasks_for,
)
from .services import (
    case_outcome_give,
    consent_give,
    consent_withdraw,
    declaration_submit,
    handover_decide,
    message_send,
    note_add,
    opinion_answer,
    opinion_ask,
    task_hand_over,
    task_status_set,
)

TOKEN_SESSION_KEY = "sc_declaration_link"  # noqa: S105 (a session key, not a secret) — the follow-up link, shown once after the redirect


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message}, status=404)


def _scoped(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Objects outside the caller's scope do not exist: CaseNotFound becomes the 404 page."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except CaseNotFound as exc:
            return _not_found(request, exc.message)

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


# --- The person's declaration -----------------------------------------------------------------------------


def _label(commune: Commune) -> str:
    """How links carry a commune: its label, never a bare code ("13008" typed is a postcode too)."""
    return f"{commune.name} ({commune.departement_id})"


def _declaration_query(*, commune: str, choices: list[str], depart: str = "") -> str:
    params = [("commune", commune)] + ([("commune_depart", depart)] if depart else []) + [("choix", c) for c in choices]
    return urlencode(params)


@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, slug: str) -> HttpResponse:
    """Declare once, from the journey: the communes and answers of the journey are not asked again; identity, the
    event, the household and contact in that order; consent for every body at once or body by body."""
    try:
        event = life_event_get(slug)
    except LifeEventNotFound as exc:
        return _not_found(request, exc.message)
    choices = [c for c in (FORBIDDEN_IN_LINE.sub("", v).strip()[:120] for v in request.GET.getlist("choix")) if c][:50]
    move = is_move(event.slug)
    context: dict[str, Any] = {
        "event": event,
        "choices": choices,
        "is_move": move,
        "title": f"{event.publication.title} — déclarer une seule fois",
    }
    arrival_text = query_param(request, "arrivee") or query_param(request, "commune")
    try:
        arrival = commune_find(arrival_text).commune
    except DomainError as exc:
        context.update(error=exc.message)
        return render(request, "cases/declaration.html", context, status=400)
    context["commune"] = arrival
    if request.GET.get("arrivee"):  # the form asking the commune left: `commune` is the commune left, as typed
        try:
            left = commune_find(query_param(request, "commune")).commune
        except DomainError as exc:
            context.update(ask_departure=True, error=exc.message, query=query_param(request, "commune"))
            return render(request, "cases/declaration.html", context, status=400)
        query = _declaration_query(commune=_label(arrival), choices=choices, depart=_label(left))
        return redirect(f"{reverse('cases:declaration', args=[event.slug])}?{query}")
    # The journey passes `commune_depart` (older links: `depart`).
    depart_text = (query_param(request, "commune_depart") or query_param(request, "depart")) if move else ""
    if move and not depart_text:
        context.update(ask_departure=True)
        return render(request, "cases/declaration.html", context)
    try:
        left = commune_find(depart_text).commune if depart_text else None
        planned = declaration_bodies(
            life_event=event.slug,
            choices=choices,
            commune=arrival.insee_code,
            commune_from=left.insee_code if left else None,
        )
    except DomainError as exc:
        context.update(error=exc.message, ask_departure=move)
        return render(request, "cases/declaration.html", context, status=exc.status if exc.status < 500 else 400)
    answers = questionnaire_answers(event.questionnaire, choices)
    groups, known = declaration_fields(
        life_event=event.slug, needed={f for p in planned for f, _ in p.fields}, answers=answers
    )
    form = CaseDeclarationForm(
        request.POST or None, groups=groups, known=known, planned=planned, counter_bodies=agent_bodies(request.user)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case, token = declaration_submit(
                    life_event=event.slug,
                    choices=choices,
                    commune=arrival.insee_code,
                    commune_from=left.insee_code if left else None,
                    values=form.values(),
                    consents=form.consents(),
                    actor=request.user,
                    on_behalf_body=form.cleaned_data.get("guichet"),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status if exc.status < 500 else 400
            else:
                request.session[TOKEN_SESSION_KEY] = {"token": token, "reference": case.reference}
                return redirect("cases:declaration_done", slug=event.slug)
        else:
            status = 400
    journey_query = _declaration_query(commune=_label(arrival), choices=choices, depart=_label(left) if left else "")
    context.update(
        form=form,
        planned=planned,
        commune_from=left,
        answers=[choice["selected_label"] or choice["title"] for choice in answers.values()],
        journey_url=f"{reverse('journeys:parcours', args=[event.slug])}?{journey_query}",
        edit_url=f"{reverse('journeys:moment_de_vie', args=[event.slug])}?{journey_query}",
    )
    return render(request, "cases/declaration.html", context, status=status)


@require_GET
def declaration_done(request: HttpRequest, slug: str) -> HttpResponse:
    """The private follow-up link, shown once (it is stored hashed: nobody can show it again)."""
    done = request.session.pop(TOKEN_SESSION_KEY, None)
    context: dict[str, Any] = {"title": "Déclaration enregistrée"}
    if done:
        context.update(
            reference=done["reference"],
            follow_up_url=request.build_absolute_uri(reverse("cases:follow_up", args=[done["token"]])),
        )
    return render(request, "cases/declaration_done.html", context)


# --- The person's follow-up -------------------------------------------------------------------------------


@never_cache  # personal data: never kept by the browser or a proxy (consent withdrawal, logout)
@require_GET
@_scoped
def follow_up(request: HttpRequest, token: str) -> HttpResponse:
    """Status, every task of every body, events, messages, the person's data and consents."""
    view = case_view_for_person(token)
    consents = []
    seen: dict[int, Body] = {}
    for t in view.tasks:
        seen.setdefault(t.body_id, t.body)
    for pk, body in sorted(seen.items(), key=lambda x: x[1].name):
        consents.append((body, view.consents.get(pk, False)))
    return render(
        request,
        "cases/follow_up.html",
        {
            "view": view,
            "case": view.case,
            "token": token,
            "consents": consents,
            "message_action": reverse("cases:follow_up_message", args=[token]),
            "outcome_ratings": OutcomeRating.choices,
            "title": f"Suivi de votre dossier {view.case.reference}",
        },
    )


@require_POST
@_scoped
def follow_up_message(request: HttpRequest, token: str) -> HttpResponse:
    case = case_get_for_person(token)
    form = TextForm(request.POST)
    if form.is_valid():
        try:
            message_send(case=case, text=form.cleaned_data["text"], from_person=True)
            messages.success(request, "Votre message a été envoyé aux structures du dossier.")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Votre message est vide ou trop long (5 000 caractères au plus).")
    return redirect(reverse("cases:follow_up", args=[token]) + "#messages")


@require_POST
@_scoped
def follow_up_outcome(request: HttpRequest, token: str) -> HttpResponse:
    """Once every task is over: did the whole thing work for the person (optional), with one sentence."""
    case = case_get_for_person(token)
    try:
        case_outcome_give(
            case=case,
            rating=request.POST.get("bilan", ""),
            sentence=FORBIDDEN_IN_LINE.sub("", request.POST.get("phrase", ""))[:500],
        )
        messages.success(request, "Merci : chaque structure qui a travaillé sur votre dossier lira votre avis.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("cases:follow_up", args=[token]) + "#bilan")


def _consent_body(case: Case, body_id: int) -> Body:
    return get_object_or_404(Body.objects.filter(pk__in=case.tasks.values("body")), pk=body_id)


@require_POST
@_scoped
def follow_up_withdraw(request: HttpRequest, token: str, body_id: int) -> HttpResponse:
    """« Retirer mon consentement »: the body's access to the data ends at once."""
    case = case_get_for_person(token)
    body = _consent_body(case, body_id)
    consent_withdraw(case=case, body=body)
    messages.success(request, f"Consentement retiré : {body.name} ne voit plus vos données.")
    return redirect(reverse("cases:follow_up", args=[token]) + "#consentements")


@require_POST
@_scoped
def follow_up_give(request: HttpRequest, token: str, body_id: int) -> HttpResponse:
    case = case_get_for_person(token)
    body = _consent_body(case, body_id)
    try:
        consent_give(case=case, body=body)
        messages.success(request, f"Consentement donné : {body.name} voit les données utiles à sa tâche.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("cases:follow_up", args=[token]) + "#consentements")


@never_cache  # personal data: never kept by the browser or a proxy (consent withdrawal, logout)
@require_GET
@_scoped
def follow_up_journal(request: HttpRequest, token: str) -> HttpResponse:
    journal = access_log_for_person(token)
    return render(
        request,
        "cases/journal.html",
        {
            "journal": journal,
            "case": journal.case,
            "back": reverse("cases:follow_up", args=[token]),
            "title": f"Journal des accès au dossier {journal.case.reference}",
        },
    )


# --- Agents -----------------------------------------------------------------------------------------------


@agent_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """My bodies' tasks, with filters (status, due date, life event, commune). No personal data."""
    events = [(le.slug, le.publication.title) for le in life_events(None)]
    form = TaskFilterForm(request.GET or None, life_events=events)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        life_event = None
        if data["moment_de_vie"]:
            life_event = life_event_get(data["moment_de_vie"]).publication_id
        filters = {
            "status": data["statut"] or None,
            "due_before": data["echeance_avant"],
            "life_event": life_event,
            "commune": data["commune"] or None,
        }
    page = Paginator(tasks_for(user=request.user, **filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/task_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "bodies": agent_bodies(request.user),
            "title": "Tâches de mes structures",
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


def _chosen_body(request: HttpRequest) -> Body | None:
    """`?structure=<id>`, validated against the agent's memberships (another id → 404)."""
    raw = request.GET.get("structure") or request.POST.get("structure_agent")
    if not raw:
        return None
    body = next((b for b in agent_bodies(request.user) if str(b.pk) == raw), None)
    if body is None:
        raise Http404
    return body


def _case_url(case: Case, body: Body | None, anchor: str = "") -> str:
    url = reverse("cases:case", args=[case.public_id])
    return url + (f"?structure={body.pk}" if body else "") + anchor


@never_cache  # personal data: never kept by the browser or a proxy (consent withdrawal, logout)
@agent_required
@require_GET
@_scoped
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The whole journey of the case, as one of my bodies sees it (read recorded in the journal)."""
    view = case_view_for_agent(user=request.user, public_id=str(public_id), body=_chosen_body(request))
    is_admin = any(m.role == "admin" and m.body_id == view.body.pk for m in request.user.memberships.all())
    return render(
        request,
        "cases/case.html",
        {
            "view": view,
            "case": view.case,
            "body": view.body,
            "is_admin": is_admin,
            "statuses": TaskStatus.choices,
            "refusal_reasons": RefusalReason.choices,
            "suggestions": handover_suggestions(case=view.case, body=view.body),
            "units": list(BodyUnit.objects.filter(body=view.body, active=True).order_by("name")),
            "message_action": reverse("cases:case_message", args=[view.case.public_id]) + f"?structure={view.body.pk}",
            "title": f"Dossier {view.case.reference}",
        },
    )


def _done(
    request: HttpRequest, case: Case, body: Body | None, ok: str, run: Callable[[], object], anchor: str = ""
) -> HttpResponse:
    try:
        run()
    except CaseNotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(_case_url(case, body, anchor))


def _invalid(request: HttpRequest, case: Case, body: Body | None, form: Any) -> HttpResponse:
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, f"Action non enregistrée : {errors}")
    return redirect(_case_url(case, body))


@agent_required
@require_POST
@_scoped
def task_status(request: HttpRequest, public_id: str, task_id: int) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    task = get_object_or_404(Task.objects.for_user(request.user).filter(case=case), pk=task_id)
    body = _chosen_body(request)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    d = form.cleaned_data
    return _done(
        request,
        case,
        body,
        f"Statut de la tâche : {TaskStatus(d['status']).label}.",
        lambda: task_status_set(task=task, status=d["status"], reason=d["reason"], actor=request.user),
        "#taches",
    )


@agent_required
@require_POST
@_scoped
def task_handover(request: HttpRequest, public_id: str, task_id: int) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    task = get_object_or_404(Task.objects.for_user(request.user).filter(case=case), pk=task_id)
    body = _chosen_body(request)
    form = HandoverForm(request.POST, steps=task.steps)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    to_body = get_object_or_404(Body.objects.active(), pk=form.cleaned_data["structure"])
    to_unit = None
    if form.cleaned_data["service"]:
        to_unit = get_object_or_404(BodyUnit.objects.filter(body=to_body, active=True), pk=form.cleaned_data["service"])
    receiver = f"au service {to_unit.name}" if to_unit else f"à {to_body.name}"
    return _done(
        request,
        case,
        body,
        f"Orientation proposée {receiver} : elle attend sa réponse ; vous gardez la tâche d'ici là.",
        lambda: task_hand_over(
            task=task,
            to_body=to_body,
            to_unit=to_unit,
            reason=form.cleaned_data["reason"],
            steps=form.cleaned_data["etapes"],
            actor=request.user,
        ),
        "#taches",
    )


@agent_required
@require_POST
@_scoped
def handover_decision(request: HttpRequest, public_id: str, handover_id: int) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    handover = get_object_or_404(
        Handover.objects.filter(task__case=case, to_body__memberships__user=request.user).distinct(), pk=handover_id
    )
    body = _chosen_body(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    accept = form.cleaned_data["decision"] == "accept"
    ok = "Orientation acceptée : ces étapes sont à vous." if accept else "Orientation refusée."
    return _done(
        request,
        case,
        body,
        ok,
        lambda: handover_decide(
            handover=handover,
            accept=accept,
            reason=form.cleaned_data["reason"],
            refusal_reason=form.cleaned_data["refusal_reason"],
            reason_visible_to_person=form.cleaned_data["visible"],
            actor=request.user,
        ),
    )


@agent_required
@require_POST
@_scoped
def task_opinion(request: HttpRequest, public_id: str, task_id: int) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    task = get_object_or_404(Task.objects.for_user(request.user).filter(case=case), pk=task_id)
    body = _chosen_body(request)
    form = OpinionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    to_body = get_object_or_404(Body.objects.active(), pk=form.cleaned_data["structure"])
    return _done(
        request,
        case,
        body,
        f"Avis demandé à {to_body.name} : vous gardez la tâche.",
        lambda: opinion_ask(task=task, to_body=to_body, question=form.cleaned_data["text"], actor=request.user),
        "#avis-demandes",
    )


@agent_required
@require_POST
@_scoped
def opinion_reply(request: HttpRequest, public_id: str, avis_demande_id: int) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    opinion = get_object_or_404(
        OpinionRequest.objects.filter(task__case=case, to_body__memberships__user=request.user).distinct(),
        pk=avis_demande_id,
    )
    body = _chosen_body(request)
    form = TextForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    return _done(
        request,
        case,
        body,
        "Avis donné.",
        lambda: opinion_answer(opinion=opinion, answer=form.cleaned_data["text"], actor=request.user),
        "#avis-demandes",
    )


def _acting_body(request: HttpRequest, case: Case) -> Body:
    chosen = _chosen_body(request)
    mine = [b for b in agent_bodies(request.user) if case.tasks.filter(body=b).exists()]
    if chosen is not None:
        mine = [b for b in mine if b == chosen]
    if not mine:
        raise Http404
    return mine[0]


@agent_required
@require_POST
@_scoped
def case_message(request: HttpRequest, public_id: str) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    body = _acting_body(request, case)
    form = TextForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    return _done(
        request,
        case,
        body,
        "Message envoyé à la personne.",
        lambda: message_send(case=case, text=form.cleaned_data["text"], actor=request.user, body=body),
        "#messages",
    )


@agent_required
@require_POST
@_scoped
def case_note(request: HttpRequest, public_id: str) -> HttpResponse:
    case = case_get_for_agent(user=request.user, public_id=str(public_id))
    body = _acting_body(request, case)
    form = TextForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, body, form)
    return _done(
        request,
        case,
        body,
        "Note interne enregistrée.",
        lambda: note_add(case=case, body=body, text=form.cleaned_data["text"], actor=request.user),
        "#notes",
    )


@never_cache  # personal data: never kept by the browser or a proxy (consent withdrawal, logout)
@agent_required
@require_GET
@_scoped
def case_journal(request: HttpRequest, public_id: str) -> HttpResponse:
    """The access journal, for an administrator of a body of the case: the rows concerning their bodies."""
    try:
        journal = access_log_for_agent(user=request.user, public_id=str(public_id))
    except CaseNotFound:
        raise
    except DomainError as exc:
        return render(request, "403.html", {"title": "Accès réservé", "message": exc.message}, status=exc.status)
    return render(
        request,
        "cases/journal.html",
        {
            "journal": journal,
            "case": journal.case,
            "back": reverse("cases:case", args=[journal.case.public_id]),
            "title": f"Journal des accès au dossier {journal.case.reference}",
        },
    )


@agent_required
@require_GET
def body_search(request: HttpRequest) -> HttpResponse:
    """Hand-over form (htmx): bodies whose name contains the words typed."""
    q = query_param(request, "q", 100)
    return render(
        request,
        "cases/_body_options.html",
        {"found": bodies_search(q), "q": q, "task_id": query_param(request, "tache", 12)},
    )
