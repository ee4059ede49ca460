"""Pages of « vis mon job » (DSFR, French): my pairs, opting in, the suggestions of my body, a pair with the actions
the viewer may take, its printable convention, feedback."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.errors import DomainError
from sanscouture.network.services import interactions_sync

from .forms import DatesForm, FeedbackForm, OptInForm
from .models import Pair, PairStatus, Profile
from .permissions import admin_body_ids, administered_body_ids, bodies_of, pair_for
from .selectors import METHOD, my_pairs, suggestions_for_body
from .services import (
    pair_accept,
    pair_approve,
    pair_complete,
    pair_feedback,
    pair_propose,
    pair_refuse,
    pair_schedule,
    pair_withdraw,
    profile_delete,
    profile_save,
)


def _my_body(request: HttpRequest) -> Body | None:
    """The body the page is about: `?structure=` among mine, else my first."""
    mine = sorted(bodies_of(request.user), key=lambda b: b.name)
    wanted = request.GET.get("structure") or request.POST.get("structure")
    if wanted and wanted.isdigit():
        found = next((b for b in mine if b.pk == int(wanted)), None)
        if found is None:
            raise Http404
        return found
    return mine[0] if mine else None


@agent_required
@require_GET
def pairs_page(request: HttpRequest) -> HttpResponse:
    """My pairs (an administrator: every pair of their body), and where to go next."""
    body = _my_body(request)
    pairs = my_pairs(user=request.user, admin_body_ids=admin_body_ids(request.user))
    profiles = list(Profile.objects.filter(user=request.user).select_related("body"))
    to_act = [p for p in pairs if _actions(p, request.user)]
    return render(
        request,
        "shadowing/list.html",
        {"body": body, "pairs": pairs, "profiles": profiles, "to_act": {p.pk for p in to_act}},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def opt_in_page(request: HttpRequest) -> HttpResponse:
    body = _my_body(request)
    if body is None:
        return render(request, "shadowing/no_body.html", status=403)
    profile = Profile.objects.filter(user=request.user, body=body).first()
    initial = (
        {
            "metier": profile.job,
            "a_montrer": profile.can_show,
            "a_decouvrir": profile.wants_to_discover,
            "disponibilites": profile.availability,
            "services": list(profile.units.all()),
        }
        if profile
        else {}
    )
    status = 200
    if request.method == "POST" and request.POST.get("action") == "retrait":
        profile_delete(user=request.user, body=body)
        messages.success(request, "Vous êtes désinscrit de vis mon job.")
        return redirect("shadowing:list")
    form = OptInForm(request.POST or None, body=body, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile_save(
                    user=request.user,
                    body=body,
                    job=form.cleaned_data["metier"],
                    can_show=form.cleaned_data["a_montrer"],
                    wants_to_discover=form.cleaned_data["a_decouvrir"],
                    availability=form.cleaned_data["disponibilites"],
                    units=list(form.cleaned_data["services"]),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Votre inscription à vis mon job est enregistrée.")
                return redirect("shadowing:suggestions")
        status = 400
    return render(request, "shadowing/opt_in.html", {"body": body, "form": form, "profile": profile}, status=status)


@agent_required
@require_GET
def suggestions_page(request: HttpRequest) -> HttpResponse:
    body = _my_body(request)
    if body is None:
        return render(request, "shadowing/no_body.html", status=403)
    interactions_sync()
    items = suggestions_for_body(body=body, today=timezone.localdate())
    mine = Profile.objects.filter(user=request.user, body=body).first()
    for s in items:
        s.agents = [p for p in s.agents if p.user_id != request.user.pk]
    return render(
        request,
        "shadowing/suggestions.html",
        {"body": body, "suggestions": items, "method": METHOD, "profile": mine, "bodies": bodies_of(request.user)},
    )


@agent_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    body = _my_body(request)
    if body is None:
        raise Http404
    partner = get_object_or_404(Profile.objects.select_related("user", "body"), pk=request.POST.get("inscription"))
    unit_id, other_id = request.POST.get("service"), request.POST.get("autre_service")
    unit = BodyUnit.objects.filter(body=body, pk=unit_id).first() if unit_id and unit_id.isdigit() else None
    other = BodyUnit.objects.filter(body=partner.body, pk=other_id).first() if other_id and other_id.isdigit() else None
    try:
        pair = pair_propose(
            actor=request.user,
            body=body,
            partner=partner,
            message=request.POST.get("message", ""),
            unit=unit,
            partner_unit=other,
            reasons=request.POST.getlist("raison"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("shadowing:suggestions")
    messages.success(request, "Votre proposition est envoyée.")
    return redirect("shadowing:pair", pair_id=pair.pk)


def _actions(pair: Pair, user: Any) -> list[str]:
    """What the viewer may do now (the services check again)."""
    party = "a" if pair.a_user_id == user.pk else "b" if pair.b_user_id == user.pk else None
    admin = administered_body_ids(user) & {pair.a_body_id, pair.b_body_id}
    out = []
    if pair.status == PairStatus.PROPOSED and party == "b":
        out += ["accepter", "refuser"]
    if pair.status == PairStatus.ACCEPTED and admin:
        mine_done = pair.approved_by_both or all(
            (b == pair.a_body_id and pair.a_approved_at) or (b == pair.b_body_id and pair.b_approved_at) for b in admin
        )
        if not mine_done:
            out.append("approuver")
    if pair.open and admin:
        out.append("refuser_admin")
    if pair.status in (PairStatus.APPROVED, PairStatus.SCHEDULED) and (party or admin):
        out.append("dates")
    if pair.status == PairStatus.SCHEDULED and (party or admin) and pair.end <= timezone.localdate():
        out.append("realiser")
    if pair.open and party:
        out.append("retirer")
    if pair.status == PairStatus.DONE and party and not pair.feedbacks.filter(author=user).exists():
        out.append("retour")
    return out


@agent_required
@require_GET
def pair_page(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = pair_for(request.user, pair_id)
    initial = {}
    if pair.start:
        initial = {
            "debut": pair.start,
            "fin": pair.end,
            "heure_debut": pair.day_start,
            "heure_fin": pair.day_end,
            "lieu": pair.place,
        }
    return render(
        request,
        "shadowing/pair.html",
        {
            "pair": pair,
            "actions": _actions(pair, request.user),
            "dates_form": DatesForm(initial=initial),
            "events": pair.events.select_related("body", "actor"),
            "feedbacks": pair.feedbacks.select_related("body"),
            "today": timezone.localdate(),
        },
    )


def _parse_dates(post: Any) -> dict[str, Any] | None:
    form = DatesForm(post)
    return form.cleaned_data if form.is_valid() else None


@agent_required
@require_POST
def pair_action(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = pair_for(request.user, pair_id)
    action, reason = request.POST.get("action", ""), request.POST.get("motif", "")
    done = {
        "accepter": "Vous avez accepté le binôme.",
        "refuser": "Vous avez refusé le binôme.",
        "refuser_admin": "Vous avez refusé le binôme.",
        "retirer": "Vous vous êtes retiré du binôme.",
        "approuver": "Vous avez approuvé le binôme pour votre structure.",
        "dates": "Dates enregistrées : les invitations sont envoyées.",
        "realiser": "Immersion déclarée réalisée. Merci de laisser votre retour.",
    }
    try:
        if action == "accepter":
            pair_accept(pair=pair, actor=request.user)
        elif action in ("refuser", "refuser_admin"):
            pair_refuse(pair=pair, actor=request.user, reason=reason)
        elif action == "retirer":
            pair_withdraw(pair=pair, actor=request.user, reason=reason)
        elif action == "approuver":
            pair_approve(pair=pair, actor=request.user)
        elif action == "dates":
            data = _parse_dates(request.POST)
            if data is None:
                messages.error(request, "Dates invalides : indiquez le premier et le dernier jour (JJ/MM/AAAA).")
                return redirect("shadowing:pair", pair_id=pair.pk)
            pair_schedule(
                pair=pair,
                actor=request.user,
                start=data["debut"],
                end=data["fin"],
                day_start=data["heure_debut"],
                day_end=data["heure_fin"],
                place=data["lieu"],
            )
        elif action == "realiser":
            pair_complete(pair=pair, actor=request.user)
            messages.success(request, done[action])
            return redirect("shadowing:feedback", pair_id=pair.pk)
        else:
            messages.error(request, "Action inconnue.")
            return redirect("shadowing:pair", pair_id=pair.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action])
    return redirect("shadowing:pair", pair_id=pair.pk)


@agent_required
@require_GET
def convention_page(request: HttpRequest, pair_id: int) -> HttpResponse:
    """The immersion agreement, from the template, ready to print and sign (once the dates are set)."""
    pair = pair_for(request.user, pair_id)
    if pair.status not in (PairStatus.SCHEDULED, PairStatus.DONE) or pair.start is None:
        raise Http404
    days = (pair.end - pair.start).days + 1
    return render(request, "shadowing/convention.html", {"pair": pair, "days": days, "today": date.today()})


@agent_required
@require_http_methods(["GET", "POST"])
def feedback_page(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = pair_for(request.user, pair_id)
    form = FeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                pair_feedback(
                    pair=pair,
                    actor=request.user,
                    text=form.cleaned_data["texte"],
                    usefulness=form.cleaned_data["utilite"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("shadowing:pair", pair_id=pair.pk)
            messages.success(request, "Merci pour votre retour.")
            return redirect("shadowing:pair", pair_id=pair.pk)
        status = 400
    mine = pair.feedbacks.filter(author=request.user).first()
    return render(request, "shadowing/feedback.html", {"pair": pair, "form": form, "mine": mine}, status=status)
