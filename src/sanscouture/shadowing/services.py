"""Writes of « vis mon job »: opting in, proposing a pair, each step of its workflow, feedback. Every step checks
who acts and the order of the steps, writes one journal row, and notifies the people concerned through the outbox
in the same transaction (the invitations carry their iCalendar file). Bad input changes nothing."""

from datetime import date, datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.models import Membership, Role
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.notifications.models import NotificationKind
from sanscouture.notifications.services import notify

from .calendar import pair_calendar
from .errors import (
    AlreadyExists,
    DatesInPast,
    EndBeforeStart,
    NotAParty,
    NotOptedIn,
    NotYourBody,
    OutOfOrder,
    ReasonRequired,
    SelfPairing,
    ShadowingInvalid,
)
from .models import OPEN_STATUSES, Feedback, Pair, PairAction, PairEvent, PairStatus, Profile
from .permissions import administered_body_ids, is_token_user

MAX_DAYS = 10  # an immersion lasts a few days (the CDG 28's is a week)


def _clean(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit] if limit <= 300 else (value or "").strip()[:limit]


def _journal(
    pair: Pair, actor: AbstractBaseUser | None, action: str, detail: str = "", body: Body | None = None
) -> None:
    PairEvent.objects.create(pair=pair, actor=actor, body=body, action=action, detail=detail[:500])


def _notify(pair: Pair, recipients: list, title: str, text: str, key: str, calendar: str = "") -> None:
    notify(
        recipients=[u for u in recipients if u is not None],
        kind=NotificationKind.SHADOWING,
        title=title,
        text=text,
        url=f"/vis-mon-job/{pair.pk}/",
        dedupe_key=f"shadowing:{pair.pk}:{key}",
        calendar=calendar,
    )


def _admins(body_ids: set[int]) -> list:
    return [m.user for m in Membership.objects.filter(body_id__in=body_ids, role=Role.ADMIN).select_related("user")]


def _lock(pair: Pair) -> Pair:
    # Lock the pair's row only (PostgreSQL refuses FOR UPDATE on the nullable side of the services' outer joins).
    return (
        Pair.objects.select_for_update(of=("self",))
        .select_related("a_user", "b_user", "a_body", "b_body", "a_unit", "b_unit")
        .get(pk=pair.pk)
    )


def _require_status(pair: Pair, *allowed: str, doing: str) -> None:
    if pair.status not in allowed:
        raise OutOfOrder(
            f"Impossible de {doing} : le binôme est à l'étape « {pair.get_status_display()} ».",
            details={"statut": pair.status},
        )


# --- Opting in ----------------------------------------------------------------------------------------------------


@transaction.atomic
def profile_save(
    *,
    user: AbstractBaseUser,
    body: Body,
    job: str,
    can_show: str,
    wants_to_discover: str = "",
    availability: str = "",
    units: list[BodyUnit] | None = None,
) -> Profile:
    """Opt in (or update one's opt-in) for one of one's bodies. An API token is not a person: it does not opt in."""
    if is_token_user(user) or not Membership.objects.filter(user=user, body=body).exists():
        raise NotYourBody("Seul un agent de la structure s'inscrit à vis mon job, pour lui-même.")
    job, can_show = _clean(job, 150), _clean(can_show, 1000)
    if not job:
        raise ShadowingInvalid("Indiquez votre métier.", details={"champ": "metier"})
    if not can_show:
        raise ShadowingInvalid("Dites ce que vous pouvez montrer de votre métier.", details={"champ": "a_montrer"})
    units = units or []
    if any(u.body_id != body.pk for u in units):
        raise ShadowingInvalid("Choisissez des services de votre structure.", details={"champ": "services"})
    profile, _ = Profile.objects.update_or_create(
        user=user,
        body=body,
        defaults={
            "job": job,
            "can_show": can_show,
            "wants_to_discover": _clean(wants_to_discover, 1000),
            "availability": _clean(availability, 300),
        },
    )
    profile.units.set(units)
    return profile


@transaction.atomic
def profile_delete(*, user: AbstractBaseUser, body: Body) -> bool:
    """Opt out: the profile goes; pairs already formed keep their course."""
    deleted, _ = Profile.objects.filter(user=user, body=body).delete()
    return bool(deleted)


# --- The workflow -------------------------------------------------------------------------------------------------


@transaction.atomic
def pair_propose(
    *,
    actor: AbstractBaseUser,
    body: Body,
    partner: Profile,
    message: str = "",
    unit: BodyUnit | None = None,
    partner_unit: BodyUnit | None = None,
    reasons: list[str] | None = None,
) -> Pair:
    """An opted-in agent of `body` proposes a pair to another opted-in agent (`partner`): inside the body (two
    services: both must be named) or with another body. The proposer accepts by proposing."""
    own = Profile.objects.filter(user=actor, body=body).prefetch_related("units").first()
    if own is None:
        raise NotOptedIn("Inscrivez-vous d'abord à vis mon job pour cette structure.")
    if partner.user_id == actor.pk:
        raise SelfPairing("Vous ne pouvez pas former un binôme avec vous-même.")
    unit = unit or (own.units.first() if own else None)
    partner_unit = partner_unit or partner.units.first()
    if unit is not None and unit.body_id != body.pk:
        raise ShadowingInvalid("Votre service appartient à une autre structure.", details={"champ": "service"})
    if partner_unit is not None and partner_unit.body_id != partner.body_id:
        raise ShadowingInvalid("Le service de l'autre agent appartient à une autre structure.")
    if partner.body_id == body.pk:
        if unit is None or partner_unit is None:
            raise ShadowingInvalid(
                "Un vis mon job interne se fait entre deux services : indiquez le service de chacun.",
                details={"champ": "service"},
            )
        if unit.pk == partner_unit.pk:
            raise ShadowingInvalid("Un vis mon job interne se fait entre deux services différents.")
    users = {actor.pk, partner.user_id}
    if (
        Pair.objects.filter(status__in=OPEN_STATUSES, a_user_id__in=users, b_user_id__in=users)
        .filter(a_body=body, b_body_id=partner.body_id)
        .exists()
        or Pair.objects.filter(status__in=OPEN_STATUSES, a_user_id__in=users, b_user_id__in=users)
        .filter(b_body=body, a_body_id=partner.body_id)
        .exists()
    ):
        raise AlreadyExists("Un binôme est déjà en cours entre vous deux.")
    pair = Pair.objects.create(
        a_user=actor,
        a_body=body,
        a_unit=unit,
        b_user=partner.user,
        b_body=partner.body,
        b_unit=partner_unit,
        message=_clean(message, 2000),
        reasons=[str(r)[:400] for r in (reasons or [])][:10],
    )
    _journal(pair, actor, PairAction.PROPOSED, body=body)
    _notify(
        pair,
        [partner.user],
        "Vis mon job : une proposition de binôme",
        f"Un agent de {body.name} vous propose un vis mon job. Acceptez ou refusez-la.",
        "proposed",
    )
    return pair


def _party(pair: Pair, actor: AbstractBaseUser) -> str | None:
    if pair.a_user_id == actor.pk:
        return "a"
    if pair.b_user_id == actor.pk:
        return "b"
    return None


@transaction.atomic
def pair_accept(*, pair: Pair, actor: AbstractBaseUser) -> Pair:
    """The agent asked accepts: the pair goes to both bodies' administrators."""
    pair = _lock(pair)
    if _party(pair, actor) != "b":
        raise NotAParty("Seul l'agent à qui le binôme est proposé l'accepte.")
    _require_status(pair, PairStatus.PROPOSED, doing="accepter")
    pair.status, pair.b_accepted_at = PairStatus.ACCEPTED, timezone.now()
    pair.save(update_fields=["status", "b_accepted_at"])
    _journal(pair, actor, PairAction.ACCEPTED, body=pair.b_body)
    _notify(
        pair,
        [pair.a_user, *_admins({pair.a_body_id, pair.b_body_id})],
        "Vis mon job : binôme accepté, à approuver",
        "Les deux agents sont d'accord. L'administrateur de chaque structure approuve le binôme.",
        "accepted",
    )
    return pair


def _reason(reason: str) -> str:
    reason = _clean(reason, 500)
    if not reason:
        raise ReasonRequired("Indiquez le motif : l'autre partie le lira.", details={"champ": "motif"})
    return reason


def _close(pair: Pair, actor: AbstractBaseUser, status: str, action: str, reason: str, body: Body | None) -> Pair:
    was_scheduled = pair.status == PairStatus.SCHEDULED
    pair.status, pair.closed_at, pair.closed_by, pair.closed_reason = status, timezone.now(), actor, reason
    fields = ["status", "closed_at", "closed_by", "closed_reason"]
    calendar = ""
    if was_scheduled:  # the invitations already sent are cancelled (same UID, SEQUENCE + 1)
        pair.sequence += 1
        fields.append("sequence")
        calendar = pair_calendar(pair, cancel=True)
    pair.save(update_fields=fields)
    _journal(pair, actor, action, reason, body=body)
    label = "refusé" if status == PairStatus.REFUSED else "retiré"
    _notify(
        pair,
        [pair.a_user, pair.b_user, *_admins({pair.a_body_id, pair.b_body_id})],
        f"Vis mon job : binôme {label}",
        f"Motif : {reason}",
        f"closed:{pair.sequence}",
        calendar=calendar,
    )
    return pair


@transaction.atomic
def pair_refuse(*, pair: Pair, actor: AbstractBaseUser, reason: str) -> Pair:
    """The agent asked refuses the proposal; or an administrator of either body refuses the pair (before the
    immersion is done), with a reason."""
    pair = _lock(pair)
    party = _party(pair, actor)
    admin_of = administered_body_ids(actor) & {pair.a_body_id, pair.b_body_id}
    if party == "b" and pair.status == PairStatus.PROPOSED:
        return _close(pair, actor, PairStatus.REFUSED, PairAction.REFUSED, _reason(reason), pair.b_body)
    if admin_of:
        _require_status(pair, *OPEN_STATUSES, doing="refuser")
        body = pair.a_body if pair.a_body_id in admin_of else pair.b_body
        return _close(pair, actor, PairStatus.REFUSED, PairAction.REJECTED, _reason(reason), body)
    if party is not None:
        raise OutOfOrder(
            "Vous ne pouvez plus refuser ce binôme : retirez-vous en indiquant le motif.",
            details={"statut": pair.status},
        )
    raise NotYourBody("Seuls les agents du binôme et les administrateurs de leurs structures le refusent.")


@transaction.atomic
def pair_withdraw(*, pair: Pair, actor: AbstractBaseUser, reason: str) -> Pair:
    """Either agent withdraws, at any step before the immersion is done, with a reason."""
    pair = _lock(pair)
    party = _party(pair, actor)
    if party is None:
        raise NotAParty("Seuls les deux agents du binôme s'en retirent.")
    _require_status(pair, *OPEN_STATUSES, doing="se retirer")
    body = pair.a_body if party == "a" else pair.b_body
    return _close(pair, actor, PairStatus.WITHDRAWN, PairAction.WITHDRAWN, _reason(reason), body)


@transaction.atomic
def pair_approve(*, pair: Pair, actor: AbstractBaseUser) -> Pair:
    """An administrator of one of the two bodies approves for their body (once for an internal pair); after both,
    the dates can be set."""
    pair = _lock(pair)
    admin_of = administered_body_ids(actor) & {pair.a_body_id, pair.b_body_id}
    if not admin_of:
        raise NotYourBody("Seul un administrateur de l'une des deux structures approuve ce binôme.")
    _require_status(pair, PairStatus.ACCEPTED, doing="approuver")
    now, fields = timezone.now(), []
    if pair.a_body_id in admin_of and pair.a_approved_at is None:
        pair.a_approved_by, pair.a_approved_at = actor, now
        fields += ["a_approved_by", "a_approved_at"]
    elif pair.b_body_id in admin_of and pair.b_approved_at is None:
        pair.b_approved_by, pair.b_approved_at = actor, now
        fields += ["b_approved_by", "b_approved_at"]
    else:
        raise OutOfOrder("Votre structure a déjà approuvé ce binôme.", details={"statut": pair.status})
    body = pair.a_body if "a_approved_at" in fields else pair.b_body
    if pair.approved_by_both:
        pair.status = PairStatus.APPROVED
        fields.append("status")
    pair.save(update_fields=fields)
    _journal(pair, actor, PairAction.APPROVED, body=body)
    if pair.status == PairStatus.APPROVED:
        _notify(
            pair,
            [pair.a_user, pair.b_user],
            "Vis mon job : binôme approuvé",
            "Les administrateurs ont approuvé le binôme. Fixez les dates de l'immersion.",
            "approved",
        )
    return pair


def _actor_body(pair: Pair, actor: AbstractBaseUser) -> Body:
    """The side the actor acts for: their own as an agent of the pair, else the body they administer."""
    party = _party(pair, actor)
    if party is not None:
        return pair.a_body if party == "a" else pair.b_body
    return pair.a_body if pair.a_body_id in administered_body_ids(actor) else pair.b_body


def _can_act(pair: Pair, actor: AbstractBaseUser) -> bool:
    return _party(pair, actor) is not None or bool(administered_body_ids(actor) & {pair.a_body_id, pair.b_body_id})


@transaction.atomic
def pair_schedule(
    *,
    pair: Pair,
    actor: AbstractBaseUser,
    start: date,
    end: date,
    day_start: time | None = None,
    day_end: time | None = None,
    place: str = "",
    today: date | None = None,
) -> Pair:
    """Set (or change) the dates of an approved pair: the convention is then printable and both agents receive the
    invitation (iCalendar, SEQUENCE + 1 on a change)."""
    today = today or timezone.localdate()
    pair = _lock(pair)
    if not _can_act(pair, actor):
        raise NotAParty("Les deux agents du binôme ou leurs administrateurs fixent les dates.")
    _require_status(pair, PairStatus.APPROVED, PairStatus.SCHEDULED, doing="fixer les dates")
    if start < today:
        raise DatesInPast("Les dates sont passées : choisissez un premier jour à partir d'aujourd'hui.")
    if end < start:
        raise EndBeforeStart("Le dernier jour précède le premier.", details={"debut": str(start), "fin": str(end)})
    if (end - start).days + 1 > MAX_DAYS:
        raise ShadowingInvalid(f"Une immersion dure {MAX_DAYS} jours au plus.")
    if day_start and day_end and day_end <= day_start:
        raise EndBeforeStart("L'heure de fin précède l'heure de début.")
    changed = pair.status == PairStatus.SCHEDULED
    if changed:
        pair.sequence += 1
    pair.start, pair.end, pair.day_start, pair.day_end = start, end, day_start, day_end
    pair.place, pair.status = _clean(place, 300), PairStatus.SCHEDULED
    pair.invitations_sent += 1
    pair.save()
    detail = f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    _journal(pair, actor, PairAction.SCHEDULED, detail, body=_actor_body(pair, actor))
    _notify(
        pair,
        [pair.a_user, pair.b_user],
        "Vis mon job : dates " + ("modifiées" if changed else "fixées"),
        f"Immersion {detail}. L'invitation est jointe ; la convention est à imprimer depuis la page du binôme.",
        f"scheduled:{pair.sequence}",
        calendar=pair_calendar(pair),
    )
    return pair


@transaction.atomic
def pair_complete(*, pair: Pair, actor: AbstractBaseUser, today: date | None = None) -> Pair:
    """After its last day, the immersion is done: one `gathering` interaction between the two bodies (or services)
    is written to the network's ledger, and each agent is asked for feedback."""
    today = today or timezone.localdate()
    pair = _lock(pair)
    if not _can_act(pair, actor):
        raise NotAParty("Les deux agents du binôme ou leurs administrateurs déclarent l'immersion réalisée.")
    _require_status(pair, PairStatus.SCHEDULED, doing="déclarer l'immersion réalisée")
    if pair.end > today:
        raise OutOfOrder(
            f"L'immersion se termine le {pair.end:%d/%m/%Y} : elle se déclare réalisée à partir de ce jour.",
            details={"statut": pair.status},
        )
    pair.status, pair.done_at = PairStatus.DONE, timezone.now()
    pair.save(update_fields=["status", "done_at"])
    _journal(pair, actor, PairAction.DONE, body=_actor_body(pair, actor))
    interaction_record(pair=pair)
    _notify(
        pair,
        [pair.a_user, pair.b_user],
        "Vis mon job : immersion réalisée",
        "Dites en quelques mots ce que vous en retenez : votre retour aide à mesurer ce qui change.",
        "done",
    )
    return pair


def interaction_record(*, pair: Pair) -> Interaction:
    """The pair as one interaction of the ledger (the ledger's sync reads only the apps below it): symmetric, stored
    once from the lower body id (ADR 018); inside one body, between its two services."""
    a = (pair.a_body_id, pair.a_unit_id)
    b = (pair.b_body_id, pair.b_unit_id)
    if b[0] < a[0]:
        a, b = b, a
    at = datetime.combine(pair.end, time(12, 0), tzinfo=timezone.get_current_timezone())
    interaction, _ = Interaction.objects.get_or_create(
        kind=InteractionKind.GATHERING,
        source=f"shadowing:{pair.pk}",
        from_body_id=a[0],
        to_body_id=b[0],
        defaults={"from_unit_id": a[1], "to_unit_id": b[1], "at": at, "day": pair.end},
    )
    return interaction


@transaction.atomic
def pair_feedback(*, pair: Pair, actor: AbstractBaseUser, text: str, usefulness: int) -> Feedback:
    """Each agent's short feedback, once, after the immersion."""
    pair = _lock(pair)
    party = _party(pair, actor)
    if party is None:
        raise NotAParty("Seuls les deux agents du binôme laissent un retour.")
    _require_status(pair, PairStatus.DONE, doing="laisser un retour")
    text = (text or "").strip()[:2000]
    if not text:
        raise ShadowingInvalid("Écrivez quelques mots sur l'immersion.", details={"champ": "texte"})
    if usefulness not in (1, 2, 3, 4):
        raise ShadowingInvalid("Note d'utilité attendue de 1 à 4.", details={"champ": "utilite"})
    if Feedback.objects.filter(pair=pair, author=actor).exists():
        raise OutOfOrder("Vous avez déjà laissé votre retour sur ce binôme.", details={"statut": pair.status})
    body = pair.a_body if party == "a" else pair.b_body
    feedback = Feedback.objects.create(pair=pair, author=actor, body=body, text=text, usefulness=usefulness)
    _journal(pair, actor, PairAction.FEEDBACK, body=body)
    return feedback
