"""Pages of the responsabilité collective: declare, preview the impacts, publish, the action page (answers and
opinions), the notices inbox and the answer. Every query starts from the user's scope; foreign objects are 404."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.errors import DomainError

from .forms import ActionForm, AnswerForm, CorrectionForm, OpinionForm, ReplyForm
from .models import PUBLIC_STATUSES, Action, ActionStatus, Notice, Opinion
from .permissions import bodies_acting_for, is_member, publishes_directly
from .selectors import (
    action_get_for_user,
    actions_of_user,
    impacts_compute,
    notice_get_for_user,
    notice_state,
    notices_for,
)
from .services import (
    action_correct,
    action_declare,
    action_publish,
    action_withdraw,
    notice_answer,
    opinion_give,
    opinion_reply,
)


def _action_or_404(request: HttpRequest, action_id: int) -> Action:
    try:
        return action_get_for_user(user=request.user, action_id=action_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _notice_or_404(request: HttpRequest, notice_id: int) -> Notice:
    try:
        return notice_get_for_user(user=request.user, notice_id=notice_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _delay(notice: Notice) -> str:
    if not notice.answered_at:
        return ""
    days = (notice.answered_at - notice.sent_at).days
    return "le jour même" if days == 0 else f"en {days} jour{'s' if days > 1 else ''}"


@agent_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The declarant's dashboard: the actions of the user's bodies, with who answered."""
    today = timezone.localdate()
    rows = []
    for action in actions_of_user(request.user)[:200]:
        notices = list(action.notices.all())
        rows.append(
            {
                "action": action,
                "sent": len(notices),
                "answered": sum(1 for n in notices if n.answer),
                "overdue": sum(1 for n in notices if not n.answer and today > n.due_on),
            }
        )
    inbox = notices_for(request.user).filter(answer="").count()
    return render(
        request,
        "impacts/dashboard.html",
        {"rows": rows, "inbox": inbox, "title": "Actions déclarées", "page": "actions"},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    bodies = bodies_acting_for(request.user)
    if not bodies:
        return render(request, "impacts/declare.html", {"form": None, "title": "Déclarer une action"}, status=403)
    form = ActionForm(request.POST or None, bodies=bodies)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                action = action_declare(
                    actor=request.user,
                    body=d["body"],
                    kind=d["kind"],
                    title=d["title"],
                    start=d["start"],
                    end=d["end"],
                    communes=d["commune_list"],
                    territory=d["territory"] or None,
                    competences=d["competences"],
                    pivots=d["pivots"],
                    description=d["description"],
                    contact=d["contact"],
                    cause=d["cause"],
                    effect=d["effect"],
                    severity=d["severity"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, "Brouillon enregistré : vérifiez les effets de l'action avant de la publier.")
                return redirect("impacts:action", action_id=action.pk)
    return render(
        request,
        "impacts/declare.html",
        {"form": form, "title": "Déclarer une action", "page": "actions"},
        status=status,
    )


@agent_required
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    """The action page: for a draft, the preview of its impacts; once published, who answered, what and how fast."""
    action = _action_or_404(request, action_id)
    mine = is_member(request.user, action.body)
    today = timezone.localdate()
    context = {
        "action": action,
        "mine": mine,
        "title": action.title,
        "page": "actions",
        "communes": list(action.communes.order_by("name")),
        "can_publish": mine and action.status in (ActionStatus.DRAFT, ActionStatus.TO_VALIDATE),
        "publishes": publishes_directly(request.user, action.body),
        "published": action.status in PUBLIC_STATUSES,
    }
    if mine and not context["published"] and action.status != ActionStatus.WITHDRAWN:
        impacts = impacts_compute(action=action)
        context["impacts"] = impacts
        context["affected"] = [(a, a.reasons(action.body.name)) for a in impacts.bodies]
    if mine:
        context["notices"] = [
            (n, notice_state(n, today), _delay(n)) for n in action.notices.select_related("body").order_by("body__name")
        ]
    opinions = action.opinions.select_related("body")
    my_bodies = bodies_acting_for(request.user)
    if not mine:
        opinions = opinions.filter(body__in=my_bodies)
    context["opinions"] = list(opinions)
    if context["published"] and not mine:
        context["opinion_form"] = OpinionForm(bodies=[b for b in my_bodies if b.pk != action.body_id])
    context["reply_form"] = ReplyForm()
    if mine and context["published"] and context["publishes"]:
        context["correction_form"] = CorrectionForm(initial={"start": action.start, "end": action.end})
    return render(request, "impacts/action.html", context)


def _run(request: HttpRequest, run, ok: str) -> None:  # noqa: ANN001
    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)


@agent_required
@require_POST
def publish(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _action_or_404(request, action_id)
    if not is_member(request.user, action.body):
        raise Http404
    _run(
        request,
        lambda: action_publish(actor=request.user, action=action),
        "Action publiée : un avis est parti vers chaque structure concernée."
        if publishes_directly(request.user, action.body)
        else "Demande de publication envoyée à l'administrateur.",
    )
    return redirect("impacts:action", action_id=action.pk)


@agent_required
@require_POST
def correct(request: HttpRequest, action_id: int) -> HttpResponse:
    """A new version of a published action: the notices go again with what changed."""
    action = _action_or_404(request, action_id)
    if not is_member(request.user, action.body):
        raise Http404
    form = CorrectionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(
            request,
            lambda: action_correct(
                actor=request.user,
                action=action,
                changes=d["changes"],
                start=d["start"],
                end=d["end"],
                actual_start=d["actual_start"],
                actual_end=d["actual_end"],
            ),
            "Action corrigée : les avis sont renvoyés avec ce qui a changé.",
        )
    else:
        messages.error(request, "Correction non enregistrée : dites ce qui change, et des dates valides.")
    return redirect("impacts:action", action_id=action.pk)


@agent_required
@require_POST
def withdraw(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _action_or_404(request, action_id)
    if not is_member(request.user, action.body):
        raise Http404
    _run(
        request,
        lambda: action_withdraw(actor=request.user, action=action, reason=request.POST.get("reason", "")[:300]),
        "Action retirée : les structures concernées sont prévenues.",
    )
    return redirect("impacts:action", action_id=action.pk)


@agent_required
@require_POST
def opinion_new(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _action_or_404(request, action_id)
    form = OpinionForm(request.POST, bodies=bodies_acting_for(request.user))
    if form.is_valid():
        _run(
            request,
            lambda: opinion_give(
                actor=request.user, action=action, body=form.cleaned_data["body"], text=form.cleaned_data["text"]
            ),
            "Avis transmis à la structure qui déclare.",
        )
    else:
        messages.error(request, "Avis non transmis : écrivez votre avis et choisissez l'une de vos structures.")
    return redirect("impacts:action", action_id=action.pk)


@agent_required
@require_POST
def opinion_answer(request: HttpRequest, action_id: int, opinion_id: int) -> HttpResponse:
    action = _action_or_404(request, action_id)
    if not is_member(request.user, action.body):
        raise Http404
    opinion = Opinion.objects.filter(action=action, pk=opinion_id).first()
    if opinion is None:
        raise Http404
    form = ReplyForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: opinion_reply(actor=request.user, opinion=opinion, text=form.cleaned_data["text"]),
            "Réponse envoyée.",
        )
    else:
        messages.error(request, "Écrivez votre réponse.")
    return redirect("impacts:action", action_id=action.pk)


@agent_required
def inbox(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(n, notice_state(n, today)) for n in notices_for(request.user)[:300]]
    return render(
        request, "impacts/inbox.html", {"rows": rows, "title": "Avis à rendre", "page": "avis", "today": today}
    )


@agent_required
@require_http_methods(["GET", "POST"])
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A notice and its answer form (the affected body's agents); the declarant sees it read-only."""
    notice = _notice_or_404(request, notice_id)
    mine = is_member(request.user, notice.body)
    form = AnswerForm(request.POST or None, initial={"answer": notice.answer, "text": notice.answer_text})
    status = 200
    if request.method == "POST":
        if not mine:
            raise Http404
        status = 400
        if form.is_valid():
            try:
                notice = notice_answer(
                    actor=request.user,
                    notice=notice,
                    answer=form.cleaned_data["answer"],
                    text=form.cleaned_data["text"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Réponse enregistrée. Accusé de réception n° {notice.receipt}.")
                return redirect("impacts:notice", notice_id=notice.pk)
    today: date = timezone.localdate()
    return render(
        request,
        "impacts/notice.html",
        {
            "notice": notice,
            "form": form,
            "mine": mine,
            "state": notice_state(notice, today),
            "title": f"Avis : {notice.action.title}",
            "page": "avis",
            "closed": bool(notice.answer) and today > notice.due_on,
        },
        status=status,
    )
