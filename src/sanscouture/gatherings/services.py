"""Writes of the gatherings (issue 13, item 2): organise, update, cancel, invite by e-mail with a calendar file,
reply by private link or in the application (capacity, waiting list, promotion), remind, record attendance.

Every e-mail goes through the outbox in the same transaction (`notifications.services.notify`, with the ICS file).
Attendance writes the network's ledger rows of kind `gathering` between the organiser and each attending body
(source `gathering:<id>`), so that the figures of the network and the effect panel read them."""

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.notifications.models import NotificationKind
from sanscouture.notifications.services import NotificationRejected, notify

from .errors import (
    GatheringCancelled,
    GatheringDatesReversed,
    GatheringInPast,
    GatheringInvalid,
    GatheringNotAllowed,
    GatheringNotStarted,
    GatheringOutsideTerritory,
    GatheringOver,
    ReplyInvalid,
)
from .ics import PARIS, gathering_ics
from .models import Gathering, GatheringBody, GatheringStatus, Invitation, Reply
from .selectors import can_manage, invited_bodies, territories_of_body, territory_get, territory_of_body

logger = logging.getLogger("sanscouture.gatherings")
MAX_DAYS_AHEAD = 2 * 366


def invitation_token(invitation: Invitation) -> str:
    """The private reply link's token: derived from SECRET_KEY and the invitation's nonce (only its hash is stored;
    every e-mail of the gathering carries it again)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"rencontre:{invitation.nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("gathering__organiser", "body", "user")
        .filter(token_hash=token_hash(token))
        .first()
    )


def reply_link(invitation: Invitation) -> str:
    return f"/rencontres/invitation/{invitation_token(invitation)}/"


def _when(g: Gathering) -> str:
    start, end = g.starts_at.astimezone(PARIS), g.ends_at.astimezone(PARIS)
    if start.date() == end.date():
        return f"le {start:%d/%m/%Y} de {start:%H:%M} à {end:%H:%M}"
    return f"du {start:%d/%m/%Y %H:%M} au {end:%d/%m/%Y %H:%M}"


def _check_fields(
    *, title: str, place: str, starts_at: datetime, ends_at: datetime, capacity: int | None, now: datetime
) -> None:
    if not title.strip() or len(title) > 200:
        raise GatheringInvalid("Donnez un titre à la rencontre (200 caractères au plus).", details={"champ": "titre"})
    if not place.strip() or len(place) > 300:
        raise GatheringInvalid("Indiquez le lieu de la rencontre.", details={"champ": "lieu"})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise GatheringInvalid("Les dates doivent porter leur fuseau horaire.")
    if starts_at <= now:
        raise GatheringInPast(
            "La date de début est passée : choisissez une date à venir.", details={"debut": starts_at.isoformat()}
        )
    if ends_at <= starts_at:
        raise GatheringDatesReversed(
            "La fin de la rencontre doit suivre son début.",
            details={"debut": starts_at.isoformat(), "fin": ends_at.isoformat()},
        )
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise GatheringInvalid("La rencontre doit avoir lieu dans les deux ans.")
    if capacity is not None and capacity < 1:
        raise GatheringInvalid("La capacité est d'au moins une place (laissez vide pour ne pas la limiter).")


def _send(g: Gathering, invitations: list[Invitation], *, what: str, title: str, text: str, now: datetime) -> None:
    """One e-mail per invited agent, with their own private link and the calendar file (or in-app only when the
    agent has no address); `what` makes each sending distinct (`invitation`, `maj-3`, `annulation`, `rappel`)."""
    try:
        for inv in invitations:
            ics = gathering_ics(g, attendee_email=inv.user.email, attendee_name=inv.user.get_full_name(), now=now)
            notify(
                recipients=[inv.user],
                kind=NotificationKind.GATHERING,
                title=title,
                text=text,
                url=reply_link(inv) if not g.cancelled else f"/rencontres/{g.pk}/",
                body=inv.body,
                dedupe_key=f"rencontre:{g.pk}:{what}:{inv.pk}",
                calendar=ics,
            )
    except NotificationRejected as exc:  # a title or place with an address or a phone number: nothing is sent
        raise GatheringInvalid(str(exc)) from exc


def _agents(bodies: list[Body]) -> list[tuple[Any, Body]]:
    """The active agents (not API tokens' service accounts) of the bodies, each once, with their first body."""
    seen: dict[int, tuple[Any, Body]] = {}
    by_id = {b.pk: b for b in bodies}
    for m in (
        Membership.objects.filter(body_id__in=by_id, user__is_active=True, user__api_token__isnull=True)
        .select_related("user")
        .order_by("body__name", "pk")
    ):
        seen.setdefault(m.user_id, (m.user, by_id[m.body_id]))
    return list(seen.values())


def _invite(g: Gathering, bodies: list[Body]) -> list[Invitation]:
    """Invitations for agents not yet invited (a body's new agents are invited at the next update)."""
    already = set(g.invitations.values_list("user_id", flat=True))
    new = []
    for user, body in _agents(bodies):
        if user.pk in already:
            continue
        nonce = secrets.token_urlsafe(16)
        inv = Invitation(gathering=g, user=user, body=body, nonce=nonce)
        inv.token_hash = token_hash(invitation_token(inv))
        new.append(inv)
    Invitation.objects.bulk_create(new)
    return list(g.invitations.filter(user_id__in=[i.user_id for i in new]).select_related("user", "body"))


@transaction.atomic
def gathering_create(
    *,
    organiser: Body,
    actor: Any,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    capacity: int | None = None,
    territory: str | None = None,
    now: datetime | None = None,
) -> Gathering:
    """Organise a gathering for the agents of every body of a territory (the organiser's intercommunalité by
    default) and invite them by e-mail with the calendar file. Only the organiser's administrators and référents."""
    now = now or timezone.now()
    if not can_manage_body(actor, organiser):
        raise GatheringNotAllowed("Seuls les administrateurs et référents de la structure organisent une rencontre.")
    _check_fields(title=title, place=place, starts_at=starts_at, ends_at=ends_at, capacity=capacity, now=now)
    key = territory or territory_of_body(organiser)
    if not key:
        raise GatheringInvalid("Précisez le territoire : epci:<siren> ou departement:<code>.")
    place_of = territory_get(key)
    if place_of.key not in territories_of_body(organiser):
        raise GatheringOutsideTerritory(
            "Une structure organise une rencontre sur son propre territoire (son intercommunalité ou son département).",
            details={"territoire": key[:40]},
        )
    g = Gathering.objects.create(
        organiser=organiser,
        title=title.strip(),
        description=description.strip(),
        place=place.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        territory=place_of.key,
        territory_name=place_of.name,
        uid=f"rencontre-{uuid.uuid4()}",
        created_by=actor,
    )
    bodies = invited_bodies(place_of)
    if organiser.pk not in {b.pk for b, _ in bodies}:
        bodies.insert(0, (organiser, "organisatrice"))
    GatheringBody.objects.bulk_create([GatheringBody(gathering=g, body=b, reason=r) for b, r in bodies])
    invitations = _invite(g, [b for b, _ in bodies])
    _send(
        g,
        invitations,
        what="invitation",
        title=f"Invitation : {g.title}",
        text=f"{organiser.name} invite les agents des structures du territoire ({place_of.name}) {_when(g)}, "
        f"lieu : {g.place}. Répondez oui, non ou peut-être par le lien.",
        now=now,
    )
    return g


def can_manage_body(actor: Any, body: Body) -> bool:
    from .selectors import ORGANISER_ROLES

    return Membership.objects.filter(user=actor, body=body, role__in=ORGANISER_ROLES).exists()


def _locked(g: Gathering) -> Gathering:
    return Gathering.objects.select_for_update(of=("self",)).select_related("organiser").get(pk=g.pk)


def _manageable(g: Gathering, actor: Any) -> None:
    if not can_manage(actor, g):
        raise GatheringNotAllowed(
            "Seuls les administrateurs et référents de la structure organisatrice agissent sur cette rencontre."
        )


def _promote(g: Gathering, now: datetime) -> list[Invitation]:
    """Seats freed: the earliest of the waiting list take them, and are told."""
    if g.capacity is None:
        free = None
    else:
        taken = g.invitations.filter(reply=Reply.YES, waitlisted_at__isnull=True).count()
        free = max(0, g.capacity - taken)
    waiting = g.invitations.filter(reply=Reply.YES, waitlisted_at__isnull=False).order_by("waitlisted_at", "pk")
    chosen = list(
        waiting.select_related("user", "body") if free is None else waiting.select_related("user", "body")[:free]
    )
    if not chosen:
        return []
    Invitation.objects.filter(pk__in=[i.pk for i in chosen]).update(waitlisted_at=None)
    for inv in chosen:
        notify(
            recipients=[inv.user],
            kind=NotificationKind.GATHERING,
            title=f"Une place s'est libérée : {g.title}",
            text=f"Vous étiez sur la liste d'attente : votre place est confirmée pour la rencontre {_when(g)}.",
            url=reply_link(inv),
            body=inv.body,
            dedupe_key=f"rencontre:{g.pk}:promotion:{inv.pk}:{now.timestamp()}",
            calendar=gathering_ics(g, attendee_email=inv.user.email, now=now),
        )
    return chosen


@transaction.atomic
def gathering_update(
    *,
    gathering: Gathering,
    actor: Any,
    title: str | None = None,
    place: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    description: str | None = None,
    capacity: int | None | type[Ellipsis] = ...,
    now: datetime | None = None,
) -> Gathering:
    """Change a gathering to come: the calendar file is sent again to everyone invited (same UID, SEQUENCE + 1);
    seats added promote the waiting list; a new agent of an invited body is invited."""
    now = now or timezone.now()
    g = _locked(gathering)
    _manageable(g, actor)
    if g.cancelled:
        raise GatheringCancelled("La rencontre est annulée : elle ne se modifie plus.")
    if g.starts_at <= now:
        raise GatheringOver("La rencontre a commencé ou a eu lieu : elle ne se modifie plus.")
    new = {
        "title": g.title if title is None else title,
        "place": g.place if place is None else place,
        "starts_at": g.starts_at if starts_at is None else starts_at,
        "ends_at": g.ends_at if ends_at is None else ends_at,
        "capacity": g.capacity if capacity is ... else capacity,
    }
    _check_fields(**new, now=now)
    taken = g.invitations.filter(reply=Reply.YES, waitlisted_at__isnull=True).count()
    if new["capacity"] is not None and new["capacity"] < taken:
        raise GatheringInvalid(
            f"{taken} agents ont déjà une place confirmée : la capacité ne peut pas descendre en dessous.",
            details={"confirmes": taken},
        )
    for field, value in new.items():
        setattr(g, field, value.strip() if isinstance(value, str) else value)
    if description is not None:
        g.description = description.strip()
    g.sequence += 1
    g.save()
    _promote(g, now)
    _invite(g, [gb.body for gb in g.invited.select_related("body")])
    invitations = list(g.invitations.select_related("user", "body"))
    _send(
        g,
        invitations,
        what=f"maj-{g.sequence}",
        title=f"Rencontre modifiée : {g.title}",
        text=f"{g.organiser.name} a modifié la rencontre : {_when(g)}, lieu : {g.place}. Le fichier de calendrier "
        "joint met votre agenda à jour.",
        now=now,
    )
    return g


@transaction.atomic
def gathering_cancel(*, gathering: Gathering, actor: Any, reason: str = "", now: datetime | None = None) -> Gathering:
    """Cancel a gathering to come: everyone invited receives METHOD:CANCEL (same UID, SEQUENCE + 1)."""
    now = now or timezone.now()
    g = _locked(gathering)
    _manageable(g, actor)
    if g.cancelled:
        raise GatheringCancelled("La rencontre est déjà annulée.")
    if g.starts_at <= now:
        raise GatheringOver("La rencontre a commencé ou a eu lieu : elle ne s'annule plus.")
    g.status, g.cancelled_at = GatheringStatus.CANCELLED, now
    g.sequence += 1
    g.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    why = f" Motif : {reason.strip()[:300]}" if reason.strip() else ""
    _send(
        g,
        list(g.invitations.select_related("user", "body")),
        what="annulation",
        title=f"Rencontre annulée : {g.title}",
        text=f"{g.organiser.name} a annulé la rencontre prévue {_when(g)}.{why}",
        now=now,
    )
    return g


@transaction.atomic
def invitation_reply(*, invitation: Invitation, reply: str, now: datetime | None = None) -> Invitation:
    """oui / non / peut-être, by the private link or in the application. A « oui » beyond the capacity goes on the
    waiting list (said in the result's `state`); a confirmed « oui » changed frees its seat for the list's first."""
    now = now or timezone.now()
    if reply not in (Reply.YES, Reply.NO, Reply.MAYBE):
        raise ReplyInvalid("Réponse attendue : oui, non ou peut_etre.", details={"reponse": str(reply)[:20]})
    g = _locked(invitation.gathering)
    inv = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if g.cancelled:
        raise GatheringCancelled("La rencontre est annulée : plus besoin de répondre.")
    if g.starts_at <= now:
        raise GatheringOver("La rencontre a commencé ou a eu lieu : il n'est plus possible de répondre.")
    was_confirmed = inv.confirmed
    if reply == Reply.YES:
        if not inv.confirmed and not (inv.reply == Reply.YES and inv.waitlisted_at):
            taken = g.invitations.filter(reply=Reply.YES, waitlisted_at__isnull=True).count()
            inv.waitlisted_at = now if g.capacity is not None and taken >= g.capacity else None
    else:
        inv.waitlisted_at = None
    inv.reply, inv.replied_at = reply, now
    inv.save(update_fields=["reply", "replied_at", "waitlisted_at"])
    if was_confirmed and not inv.confirmed:
        _promote(g, now)
    inv.gathering = g
    return inv


@transaction.atomic
def attendance_record(
    *, gathering: Gathering, actor: Any, present: set[int], now: datetime | None = None
) -> dict[str, int]:
    """The organiser records who came (invitation ids); the others are recorded absent. The ledger of the network
    gets one `gathering` interaction between the organiser and each body that came (source `gathering:<id>`), and
    loses those of a body no longer present. Returns counts."""
    now = now or timezone.now()
    g = _locked(gathering)
    _manageable(g, actor)
    if g.cancelled:
        raise GatheringCancelled("La rencontre a été annulée : il n'y a pas de présence à noter.")
    if g.starts_at > now:
        raise GatheringNotStarted("La présence se note une fois la rencontre commencée.")
    ids = set(g.invitations.values_list("pk", flat=True))
    unknown = set(present) - ids
    if unknown:
        raise GatheringInvalid(
            "Ces invitations ne sont pas celles de la rencontre.", details={"invitations": sorted(unknown)[:20]}
        )
    g.invitations.filter(pk__in=present).update(attended=True)
    g.invitations.exclude(pk__in=present).update(attended=False)
    g.attendance_recorded_at = now
    g.save(update_fields=["attendance_recorded_at", "updated_at"])
    came = set(g.invitations.filter(attended=True).values_list("body_id", flat=True)) - {g.organiser_id}
    source = f"gathering:{g.pk}"
    Interaction.objects.filter(kind=InteractionKind.GATHERING, source=source).exclude(to_body_id__in=came).delete()
    Interaction.objects.bulk_create(
        [
            Interaction(
                kind=InteractionKind.GATHERING,
                source=source,
                from_body_id=g.organiser_id,
                to_body_id=body_id,
                at=g.starts_at,
                day=g.starts_at.date(),
            )
            for body_id in sorted(came)
        ],
        ignore_conflicts=True,
    )
    return {"presents": len(present), "structures": len(came)}


def gatherings_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic job: a reminder to those who said oui or peut-être, or have not answered, before a gathering (once
    per gathering, SANSCOUTURE_GATHERINGS_REMIND_DAYS before)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.SANSCOUTURE_GATHERINGS_REMIND_DAYS)
    sent = 0
    due = Gathering.objects.filter(
        status=GatheringStatus.SCHEDULED, reminded_at__isnull=True, starts_at__gt=now, starts_at__lte=horizon
    )
    for g_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            g = Gathering.objects.select_for_update(of=("self",)).select_related("organiser").get(pk=g_id)
            if g.reminded_at is not None:
                continue
            invitations = list(
                g.invitations.exclude(reply=Reply.NO)
                .exclude(reply=Reply.YES, waitlisted_at__isnull=False)
                .select_related("user", "body")
            )
            _send(
                g,
                invitations,
                what="rappel",
                title=f"Rappel : {g.title}",
                text=f"La rencontre organisée par {g.organiser.name} a lieu {_when(g)}, lieu : {g.place}.",
                now=now,
            )
            g.reminded_at = now
            g.save(update_fields=["reminded_at"])
            sent += len(invitations)
    return {"rappels": sent}
