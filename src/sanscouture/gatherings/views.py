"""Pages of the gatherings (DSFR, French): the list, the form to organise one, its page (replies, capacity, invited
bodies), the in-app reply, the private reply link (no login), attendance, and the effect panel."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.errors import DomainError
from sanscouture.network.services import interactions_sync

from .effect import LABELS, METRICS
from .forms import GatheringForm, ReplyForm
from .ics import PARIS, gathering_ics
from .models import Gathering, Invitation
from .panels import effect_for_bodies, effect_of_territory, reply_message
from .permissions import gathering_or_404, own_invitation_or_404
from .selectors import (
    can_manage,
    counts,
    gatherings_for,
    invited_rows,
    my_body_ids,
    my_invitations,
    of_gathering_territory,
    organiser_bodies,
)
from .services import (
    attendance_record,
    gathering_cancel,
    gathering_create,
    gathering_update,
    invitation_by_token,
    invitation_reply,
)


@agent_required
@require_GET
def gatherings(request: HttpRequest) -> HttpResponse:
    rows = list(gatherings_for(request.user)[:300])
    now = timezone.now()
    return render(
        request,
        "gatherings/list.html",
        {
            "upcoming": [g for g in rows if g.ends_at >= now],
            "past": [g for g in rows if g.ends_at < now],
            "can_organise": bool(organiser_bodies(request.user)),
            "title": "Rencontres",
            "page": "rencontres",
        },
    )


def _form_values(form: GatheringForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "title": d["title"],
        "place": d["place"],
        "starts_at": d["start"],
        "ends_at": d["end"],
        "description": d["description"],
        "capacity": d["capacity"],
    }


@agent_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    bodies = organiser_bodies(request.user)
    if not bodies:
        return render(request, "gatherings/form.html", {"form": None, "title": "Organiser une rencontre"}, status=403)
    form = GatheringForm(request.POST or None, bodies=bodies)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                g = gathering_create(organiser=form.cleaned_data["body"], actor=request.user, **_form_values(form))
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                n = g.invitations.count()
                messages.success(
                    request,
                    f"Rencontre organisée : {n} agent{'s' if n > 1 else ''} invité{'s' if n > 1 else ''} "
                    "par courriel, avec le fichier de calendrier.",
                )
                return redirect("gatherings:detail", rencontre_id=g.pk)
    return render(
        request,
        "gatherings/form.html",
        {"form": form, "title": "Organiser une rencontre", "page": "rencontres"},
        status=status,
    )


@agent_required
@require_GET
def detail(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    manage = can_manage(request.user, g)
    mine = my_invitations(request.user, g)
    return render(
        request,
        "gatherings/detail.html",
        {
            "g": g,
            "counts": counts(g),
            "invited": invited_rows(g),
            "of_territory": of_gathering_territory(g),
            "mine": mine,
            "reply_form": ReplyForm(initial={"reply": mine[0].reply} if mine and mine[0].reply else None),
            "manage": manage,
            "invitations": list(g.invitations.select_related("user", "body")) if manage else [],
            "open": not g.cancelled and g.starts_at > timezone.now(),
            "started": g.starts_at <= timezone.now(),
            "title": g.title,
            "page": "rencontres",
        },
    )


@agent_required
@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    if not can_manage(request.user, g):
        raise Http404
    initial = {
        "title": g.title,
        "description": g.description,
        "place": g.place,
        "start": g.starts_at.astimezone(PARIS).replace(tzinfo=None),
        "end": g.ends_at.astimezone(PARIS).replace(tzinfo=None),
        "capacity": g.capacity,
    }
    form = GatheringForm(request.POST or None, initial=initial, update=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                gathering_update(gathering=g, actor=request.user, **_form_values(form))
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, "Rencontre modifiée : la mise à jour est envoyée à tous les invités.")
                return redirect("gatherings:detail", rencontre_id=g.pk)
    return render(
        request,
        "gatherings/form.html",
        {"form": form, "g": g, "title": f"Modifier « {g.title} »", "page": "rencontres"},
        status=status,
    )


def _run(request: HttpRequest, run: Any, ok: str) -> bool:  # noqa: ANN401
    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, ok)
    return True


@agent_required
@require_POST
def cancel(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    _run(
        request,
        lambda: gathering_cancel(gathering=g, actor=request.user, reason=request.POST.get("motif", "")[:300]),
        "Rencontre annulée : l'annulation est envoyée à tous les invités.",
    )
    return redirect("gatherings:detail", rencontre_id=g.pk)


@agent_required
@require_POST
def reply(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    inv = own_invitation_or_404(request.user, g)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez oui, non ou peut-être.")
        return redirect("gatherings:detail", rencontre_id=g.pk)
    holder: dict[str, Invitation] = {}

    def run() -> None:
        holder["inv"] = invitation_reply(invitation=inv, reply=form.cleaned_data["reply"])

    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, reply_message(holder["inv"]))
    return redirect("gatherings:detail", rencontre_id=g.pk)


@agent_required
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    if not can_manage(request.user, g):
        raise Http404
    if request.method == "POST":
        try:
            present = {int(v) for v in request.POST.getlist("presents")}
        except ValueError:
            present = {-1}
        if _run(
            request,
            lambda: attendance_record(gathering=g, actor=request.user, present=present),
            "Présences enregistrées : chaque structure venue compte comme une interaction dans le réseau.",
        ):
            return redirect("gatherings:detail", rencontre_id=g.pk)
        return redirect("gatherings:attendance", rencontre_id=g.pk)
    invitations = list(g.invitations.select_related("user", "body").order_by("body__name", "pk"))
    return render(
        request,
        "gatherings/attendance.html",
        {
            "g": g,
            "invitations": invitations,
            "started": g.starts_at <= timezone.now(),
            "title": "Présences",
            "page": "rencontres",
        },
    )


@agent_required
@require_GET
def ics(request: HttpRequest, rencontre_id: int) -> HttpResponse:
    g = gathering_or_404(request.user, rencontre_id)
    response = HttpResponse(
        gathering_ics(g, attendee_email=request.user.email), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="rencontre-{g.pk}.ics"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def private_reply(request: HttpRequest, token: str) -> HttpResponse:
    """The private link of an invitation: no login; the token is never logged (see logsafe) nor shown elsewhere."""
    inv = invitation_by_token(token)
    if inv is None:
        raise Http404("Lien inconnu.")
    g: Gathering = inv.gathering
    form = ReplyForm(request.POST or None, initial={"reply": inv.reply} if inv.reply else None)
    status = 200
    done = ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                inv = invitation_reply(invitation=inv, reply=form.cleaned_data["reply"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                done, status = reply_message(inv), 200
    response = render(
        request,
        "gatherings/private_reply.html",
        {
            "g": g,
            "inv": inv,
            "form": form,
            "done": done,
            "counts": counts(g),
            "open": not g.cancelled and g.starts_at > timezone.now(),
            "title": f"Invitation : {g.title}",
        },
        status=status,
    )
    response["Referrer-Policy"] = "same-origin"  # the token never travels to another site
    return response


def _rows(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per window and metric: treated before/after, comparable before/after, the difference."""
    out = []
    for w in windows:
        for m in METRICS:

            def val(group: str, when: str, w: dict[str, Any] = w, m: str = m) -> Any:  # noqa: ANN401
                figures = w.get(group, {}).get(when)
                return figures.get(m) if figures else None

            out.append(
                {
                    "mois": w["mois"],
                    "pending": not w["apres_disponible"],
                    "label": LABELS[m],
                    "ta": val("suivis", "avant"),
                    "tp": val("suivis", "apres"),
                    "ca": val("comparables", "avant"),
                    "cp": val("comparables", "apres"),
                    "did": w["difference_des_differences"][m],
                }
            )
    return out


@agent_required
@require_GET
def effect_page(request: HttpRequest) -> HttpResponse:
    if not my_body_ids(request.user):
        return render(request, "gatherings/effect.html", {"none": True, "title": "Effet des rencontres"})
    interactions_sync()
    today = timezone.localdate()
    mine = effect_for_bodies(request.user, today=today)
    territory_error = ""
    try:
        territory = effect_of_territory(request.user, request.GET.get("territoire") or None, today=today)
    except DomainError as exc:
        territory, territory_error = None, exc.message
    events = [{**e, "rows": _rows(e["fenetres"])} for e in mine["evenements"]]
    return render(
        request,
        "gatherings/effect.html",
        {
            "mine": mine,
            "events": events,
            "territory": territory,
            "territory_rows": _rows(territory["agrege"]["fenetres"]) if territory else [],
            "territory_error": territory_error,
            "title": "Effet des rencontres et des vis mon job",
            "page": "rencontres",
        },
    )
