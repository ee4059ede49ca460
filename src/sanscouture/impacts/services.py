"""Writes of the responsabilité collective: declare, publish (notices to every affected body), correct, withdraw,
answer, remind, give and answer opinions. Each is atomic, takes the acting user, writes the exchanges between
bodies in the same transaction and notifies through the outbox of that transaction (ADR 006)."""

import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.models import Role
from sanscouture.bodies.models import Body
from sanscouture.bodies.selectors import body_territory
from sanscouture.bodies.services import pivot_labels
from sanscouture.catalogue.errors import LifeEventNotFound
from sanscouture.catalogue.selectors import life_event_get
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.routing import PIVOT_SYNONYMS
from sanscouture.notifications.services import notify
from sanscouture.territories.models import Commune

from . import webhook_events
from .errors import (
    AnswerClosed,
    InvalidAction,
    InvalidAnswer,
    InvalidPeriod,
    InvalidTransition,
    NotAllowed,
    UnknownSubject,
    UnknownTerritory,
)
from .models import (
    ANSWERS_WITH_TEXT,
    PUBLIC_STATUSES,
    Action,
    ActionKind,
    ActionStatus,
    Answer,
    Cause,
    Effect,
    Exchange,
    ExchangeKind,
    Notice,
    Opinion,
    Severity,
)
from .permissions import (
    action_manage_check,
    answer_check,
    can_publish,
    declare_check,
    is_member,
    publishes_directly,
    reach_check,
)
from .selectors import impacts_compute

MAX_COMMUNES = 2000
TERRITORY_KINDS = ("epci", "departement", "region")


def answer_days() -> int:
    """The delay to answer a notice: 9 days by default, like DT-DICT (Code de l'environnement R.554-22)."""
    return settings.SANSCOUTURE_IMPACTS_ANSWER_DAYS


def territory_communes(*, communes: list[str], territory: str | None) -> list[Commune]:
    """INSEE codes and/or one whole `epci:<siren>`, `departement:<code>` or `region:<code>`, expanded through the
    referential to current communes."""
    found: dict[int, Commune] = {}
    codes = [str(c).strip() for c in communes if str(c).strip()]
    if codes:
        known = {c.insee_code: c for c in Commune.objects.current().filter(insee_code__in=codes)}
        unknown = sorted(set(codes) - set(known))
        if unknown:
            raise UnknownTerritory(
                f"Codes de commune inconnus : {', '.join(unknown[:10])}.", details={"communes": unknown[:50]}
            )
        found.update({c.pk: c for c in known.values()})
    if territory:
        kind, _, code = territory.partition(":")
        field = {"epci": "epci_id", "departement": "departement_id", "region": "region_id"}.get(kind)
        members = list(Commune.objects.current().filter(**{field: code})) if field and code else []
        if not members:
            raise UnknownTerritory(
                f"Territoire inconnu : « {territory[:40]} » (epci:<siren>, departement:<code> ou region:<code>).",
                details={"territoire": territory[:40]},
            )
        found.update({c.pk: c for c in members})
    if not found:
        raise UnknownTerritory("Indiquez les communes ou le territoire de l'action.")
    if len(found) > MAX_COMMUNES:
        raise InvalidAction(f"Une action couvre {MAX_COMMUNES} communes au plus : découpez-la.")
    return sorted(found.values(), key=lambda c: c.insee_code)


def _check_subjects(*, competences: list[str], pivots: list[str], life_events: list[str]) -> list[str]:
    unknown = [c for c in competences if c not in catalogue().competences]
    labels = pivot_labels()
    unknown += [f"guichet {p}" for p in pivots if p not in labels and p not in PIVOT_SYNONYMS]
    events = []
    for e in life_events:
        try:
            events.append(life_event_get(e).publication_id)
        except LifeEventNotFound:
            unknown.append(f"moment de vie {e}")
    if unknown:
        raise UnknownSubject(f"Inconnu(s) : {', '.join(unknown[:10])}.", details={"inconnus": unknown[:50]})
    if not competences and not pivots:
        raise InvalidAction("Indiquez au moins une compétence ou un type de guichet touché par l'action.")
    return events


def _choice(value: str, choices: Any, label: str) -> str:
    if value not in choices.values:
        raise InvalidAction(f"{label} inconnu : « {value[:40]} ».", details={"valeurs": list(choices.values)})
    return value


def _exchange(action: Action, kind: str, from_body: Body, to_body: Body, text: str, notice: Notice | None) -> None:
    Exchange.objects.create(
        action=action, notice=notice, kind=kind, from_body=from_body, to_body=to_body, text=text[:500]
    )


def _agents(body: Body, *, admins_only: bool = False) -> list[AbstractBaseUser]:
    users = get_user_model().objects.filter(memberships__body=body, is_active=True)
    if admins_only:
        users = users.filter(memberships__role=Role.ADMIN)
    return list(users.distinct())


def _notify_body(body: Body, *, title: str, text: str, url: str, key: str, admins_only: bool = False) -> None:
    users = _agents(body, admins_only=admins_only)
    if users:
        notify(recipients=users, kind="notice", title=title[:200], text=text[:1000], url=url, body=body, dedupe_key=key)


@transaction.atomic
def action_declare(
    *,
    actor: AbstractBaseUser,
    body: Body,
    kind: str,
    title: str,
    start: date,
    end: date,
    communes: list[str],
    territory: str | None = None,
    competences: list[str] | None = None,
    pivots: list[str] | None = None,
    life_events: list[str] | None = None,
    description: str = "",
    contact: str = "",
    cause: str = Cause.OTHER_CAUSE,
    effect: str = Effect.MODIFIED_SERVICE,
    severity: str = Severity.INFO,
    counter: Body | None = None,
) -> Action:
    """A draft action of `body`. Checks who (an agent of the body), the period, the subjects, and where (the body's
    territory, or communes where routing names it competent for a touched subject)."""
    declare_check(user=actor, body=body)
    competences, pivots = list(dict.fromkeys(competences or [])), list(dict.fromkeys(pivots or []))
    if end < start:
        raise InvalidPeriod(
            f"La fin ({end:%d/%m/%Y}) précède le début ({start:%d/%m/%Y}).",
            details={"debut": start.isoformat(), "fin": end.isoformat()},
        )
    title = (title or "").strip()
    if not title:
        raise InvalidAction("Le titre est obligatoire.")
    _choice(kind, ActionKind, "Type d'action")
    _choice(cause, Cause, "Cause")
    _choice(effect, Effect, "Effet")
    _choice(severity, Severity, "Gravité")
    events = _check_subjects(competences=competences, pivots=pivots, life_events=list(life_events or []))
    places = territory_communes(communes=communes, territory=territory)
    reach_check(body=body, communes=places, competences=competences, pivots=pivots, on=start)
    if counter is not None and counter.parent_id != body.pk and counter.pk != body.pk:
        raise InvalidAction("Le guichet doit être l'un de ceux de la structure.")
    action = Action.objects.create(
        body=body,
        kind=kind,
        title=title[:200],
        description=description.strip()[:5000],
        contact=contact.strip()[:300],
        cause=cause,
        effect=effect,
        severity=severity,
        start=start,
        end=end,
        territory=(territory or "")[:20],
        competences=competences,
        pivots=pivots,
        life_events=list(dict.fromkeys(events)),
        counter=counter,
        created_by=actor,
    )
    action.communes.set(places)
    return action


def _send_notices(*, action: Action, changes: str = "") -> list[Notice]:
    """Compute the impacts and (re)send a notice to every affected body; tell both declarants of each clash."""
    impacts = impacts_compute(action=action)
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=answer_days())
    bodies = Body.objects.in_bulk([a.body.id for a in impacts.bodies] + [c.body_id for c in impacts.clashes])
    sent = []
    for affected in impacts.bodies:
        body = bodies[affected.body.id]
        reasons = affected.reasons(action.body.name)
        notice, created = Notice.objects.get_or_create(
            action=action,
            body=body,
            defaults={
                "communes": [c for c, _ in affected.communes],
                "reasons": reasons,
                "version": action.version,
                "sent_at": now,
                "due_on": due,
            },
        )
        if not created:  # a correction: new reasons, a new delay, the answer asked again
            notice.communes, notice.reasons, notice.version = [c for c, _ in affected.communes], reasons, action.version
            notice.sent_at, notice.due_on, notice.reminded_at, notice.overdue_notified_at = now, due, None, None
            notice.answer, notice.answer_text, notice.answered_at, notice.answered_by, notice.receipt = (
                "",
                "",
                None,
                None,
                "",
            )
            notice.save()
        kind = ExchangeKind.NOTICE if created else ExchangeKind.NOTICE_AGAIN
        what = f"Corrigée : {changes}. " if changes else ""
        _exchange(action, kind, action.body, body, f"{what}{reasons[0] if reasons else ''}", notice)
        _notify_body(
            body,
            title=f"Avis à rendre : {action.title}" + (" (corrigée)" if changes else ""),
            text=f"{action.body.name} déclare « {action.title} » du {action.start:%d/%m/%Y} au {action.end:%d/%m/%Y}. "
            f"{what}Votre structure est concernée ({len(affected.communes)} commune(s)). "
            f"Réponse attendue avant le {due:%d/%m/%Y}.",
            url=f"/avis/{notice.pk}/",
            key=f"impact-notice:{notice.pk}:v{action.version}",
        )
        webhook_events.notice_sent(notice, action)
        sent.append(notice)
    for other in impacts.clashes:
        text = (
            f"Actions concurrentes : « {action.title} » ({action.body.name}) et « {other.title} » ({other.body.name})"
        )
        for mine, theirs in ((action, other), (other, action)):
            _exchange(mine, ExchangeKind.CLASH, mine.body, theirs.body, text, None)
            _notify_body(
                mine.body,
                title=f"Action concurrente : {theirs.title}",
                text=text + " se chevauchent dans les mêmes communes et aux mêmes dates.",
                url=f"/actions/{mine.pk}/",
                key=f"impact-clash:{mine.pk}:{theirs.pk}:v{action.version}",
            )
    return sent


@transaction.atomic
def action_publish(*, actor: AbstractBaseUser, action: Action) -> Action:
    """Publish (administrators and référents; agents too when their body does not require validation) or submit for
    validation (agents). Publication sends the notices."""
    action = Action.objects.select_for_update().get(pk=action.pk)
    action_manage_check(user=actor, action=action)
    if action.status not in (ActionStatus.DRAFT, ActionStatus.TO_VALIDATE):
        raise InvalidTransition(f"L'action est déjà {action.get_status_display().lower()}.")
    if not publishes_directly(actor, action.body):
        action.status = ActionStatus.TO_VALIDATE
        action.save(update_fields=["status"])
        _notify_body(
            action.body,
            title=f"Action à valider : {action.title}",
            text=f"Un agent de {action.body.name} demande la publication de « {action.title} ».",
            url=f"/actions/{action.pk}/",
            key=f"impact-validate:{action.pk}",
            admins_only=True,
        )
        return action
    action.status, action.published_at = ActionStatus.PUBLISHED, timezone.now()
    action.save(update_fields=["status", "published_at"])
    _send_notices(action=action)
    return action


@transaction.atomic
def action_correct(
    *,
    actor: AbstractBaseUser,
    action: Action,
    changes: str,
    start: date | None = None,
    end: date | None = None,
    actual_start: date | None = None,
    actual_end: date | None = None,
    description: str | None = None,
) -> Action:
    """A new version of a published action; the notices are sent again with what changed."""
    action = Action.objects.select_for_update().get(pk=action.pk)
    action_manage_check(user=actor, action=action)
    if action.status not in PUBLIC_STATUSES:
        raise InvalidTransition("Seule une action publiée peut être corrigée.")
    if not can_publish(actor, action.body):
        raise NotAllowed("Seuls l'administrateur et les référents de la structure corrigent une action publiée.")
    new_start, new_end = start or action.start, end or action.end
    if new_end < new_start or (actual_start and actual_end and actual_end < actual_start):
        raise InvalidPeriod("La fin précède le début.")
    changes = (changes or "").strip()
    if not changes:
        raise InvalidAction("Dites ce qui a changé : les structures concernées le reçoivent.")
    action.start, action.end = new_start, new_end
    action.actual_start = actual_start or action.actual_start
    action.actual_end = actual_end or action.actual_end
    if description is not None:
        action.description = description.strip()[:5000]
    action.version += 1
    action.status, action.changes = ActionStatus.CORRECTED, changes[:1000]
    action.save()
    _send_notices(action=action, changes=changes[:300])
    return action


@transaction.atomic
def action_withdraw(*, actor: AbstractBaseUser, action: Action, reason: str = "") -> Action:
    action = Action.objects.select_for_update().get(pk=action.pk)
    action_manage_check(user=actor, action=action)
    if action.status == ActionStatus.WITHDRAWN:
        raise InvalidTransition("L'action est déjà retirée.")
    if action.status in PUBLIC_STATUSES and not can_publish(actor, action.body):
        raise NotAllowed("Seuls l'administrateur et les référents de la structure retirent une action publiée.")
    action.status, action.withdrawn_at = ActionStatus.WITHDRAWN, timezone.now()
    action.save(update_fields=["status", "withdrawn_at"])
    for notice in action.notices.select_related("body"):
        _exchange(action, ExchangeKind.NOTICE_AGAIN, action.body, notice.body, f"Retirée. {reason}".strip(), notice)
        _notify_body(
            notice.body,
            title=f"Action retirée : {action.title}",
            text=f"{action.body.name} a retiré « {action.title} ». {reason}".strip()[:1000],
            url=f"/avis/{notice.pk}/",
            key=f"impact-withdrawn:{notice.pk}",
        )
    return action


def _receipt(notice: Notice) -> str:
    return f"AR-{notice.action_id}-{notice.pk}-{secrets.token_hex(3).upper()}"


@transaction.atomic
def notice_answer(*, actor: AbstractBaseUser, notice: Notice, answer: str, text: str = "") -> Notice:
    """The affected body's answer: its receipt number is returned. It may change its answer until the deadline; after
    it, a first answer is still taken (late), a second one is refused."""
    notice = Notice.objects.select_for_update().select_related("action", "action__body", "body").get(pk=notice.pk)
    answer_check(user=actor, notice=notice)
    if answer not in Answer.values:
        raise InvalidAnswer(f"Réponse inconnue : « {answer[:30]} ».", details={"valeurs": list(Answer.values)})
    text = (text or "").strip()
    if answer in ANSWERS_WITH_TEXT and not text:
        raise InvalidAnswer(f"« {Answer(answer).label} » : écrivez votre texte.")
    if notice.action.status not in PUBLIC_STATUSES:
        raise AnswerClosed("L'action n'est plus publiée : l'avis est clos.")
    today = timezone.localdate()
    if notice.answer and today > notice.due_on:
        raise AnswerClosed(
            f"Le délai de réponse est clos depuis le {notice.due_on:%d/%m/%Y} : la réponse donnée reste enregistrée.",
            details={"echeance": notice.due_on.isoformat()},
        )
    notice.answer, notice.answer_text = answer, text[:5000]
    notice.answered_at, notice.answered_by = timezone.now(), actor
    notice.receipt = _receipt(notice)
    notice.save()
    label = Answer(answer).label
    _exchange(notice.action, ExchangeKind.ANSWER, notice.body, notice.action.body, f"{label}. {text}"[:500], notice)
    _notify_body(
        notice.action.body,
        title=f"Réponse de {notice.body.name} : {label}",
        text=f"{notice.body.name} répond « {label} » sur « {notice.action.title} ».",
        url=f"/actions/{notice.action_id}/",
        key=f"impact-answer:{notice.pk}:{notice.receipt}",
    )
    return notice


def notices_remind(*, today: date | None = None, days_before: int | None = None) -> dict[str, int]:
    """Reminders before the deadline, then « sans réponse » to the declarant and the affected body's administrators,
    once each (the periodic job; idempotent)."""
    today = today or timezone.localdate()
    days_before = days_before if days_before is not None else settings.SANSCOUTURE_IMPACTS_REMIND_DAYS
    counts = {"rappels": 0, "sans_reponse": 0}
    pending = Notice.objects.filter(answer="", action__status__in=PUBLIC_STATUSES).select_related(
        "action", "body", "action__body"
    )
    for notice in pending.filter(
        reminded_at__isnull=True, due_on__gte=today, due_on__lte=today + timedelta(days=days_before)
    ):
        with transaction.atomic():
            notice.reminded_at = timezone.now()
            notice.save(update_fields=["reminded_at"])
            _exchange(
                notice.action,
                ExchangeKind.REMINDER,
                notice.action.body,
                notice.body,
                f"Échéance le {notice.due_on:%d/%m/%Y}",
                notice,
            )
            _notify_body(
                notice.body,
                title=f"Rappel : avis à rendre avant le {notice.due_on:%d/%m/%Y}",
                text=f"« {notice.action.title} » ({notice.action.body.name}) attend votre réponse.",
                url=f"/avis/{notice.pk}/",
                key=f"impact-reminder:{notice.pk}:v{notice.version}",
            )
            counts["rappels"] += 1
    for notice in pending.filter(overdue_notified_at__isnull=True, due_on__lt=today):
        with transaction.atomic():
            notice.overdue_notified_at = timezone.now()
            notice.save(update_fields=["overdue_notified_at"])
            _exchange(
                notice.action,
                ExchangeKind.OVERDUE,
                notice.body,
                notice.action.body,
                "Sans réponse dans le délai",
                notice,
            )
            text = (
                f"{notice.body.name} n'a pas répondu à l'avis sur « {notice.action.title} » "
                f"(échéance {notice.due_on:%d/%m/%Y})."
            )
            _notify_body(
                notice.action.body,
                title=f"Sans réponse : {notice.body.name}",
                text=text,
                url=f"/actions/{notice.action_id}/",
                key=f"impact-overdue:{notice.pk}:v{notice.version}",
            )
            _notify_body(
                notice.body,
                title=f"Avis sans réponse : {notice.action.title}",
                text=text,
                url=f"/avis/{notice.pk}/",
                key=f"impact-overdue-admin:{notice.pk}:v{notice.version}",
                admins_only=True,
            )
            counts["sans_reponse"] += 1
    return counts


@transaction.atomic
def opinion_give(*, actor: AbstractBaseUser, action: Action, body: Body, text: str) -> Opinion:
    """Any agent of a body of the action's territory gives an opinion, affected or not (« a priori pas légitime »)."""
    if not is_member(actor, body):
        raise NotAllowed("Vous donnez un avis au nom d'une structure dont vous êtes agent.")
    if action.status not in PUBLIC_STATUSES:
        raise InvalidTransition("On ne donne un avis que sur une action publiée.")
    if body.pk == action.body_id:
        raise InvalidAction("La structure qui déclare l'action ne se donne pas d'avis à elle-même.")
    if not set(action.communes.values_list("pk", flat=True)) & body_territory(body):
        raise NotAllowed(f"{body.name} n'agit sur aucune commune de l'action.")
    text = (text or "").strip()
    if not text:
        raise InvalidAction("Écrivez votre avis.")
    opinion = Opinion.objects.create(action=action, body=body, author=actor, text=text[:5000])
    _exchange(action, ExchangeKind.OPINION, body, action.body, text, None)
    _notify_body(
        action.body,
        title=f"Avis de {body.name} sur {action.title}",
        text=f"{body.name} donne un avis.",
        url=f"/actions/{action.pk}/",
        key=f"impact-opinion:{opinion.pk}",
    )
    return opinion


@transaction.atomic
def opinion_reply(*, actor: AbstractBaseUser, opinion: Opinion, text: str) -> Opinion:
    action_manage_check(user=actor, action=opinion.action)
    text = (text or "").strip()
    if not text:
        raise InvalidAction("Écrivez votre réponse.")
    opinion.reply, opinion.replied_at = text[:5000], timezone.now()
    opinion.save(update_fields=["reply", "replied_at"])
    _exchange(opinion.action, ExchangeKind.OPINION_REPLY, opinion.action.body, opinion.body, text, None)
    _notify_body(
        opinion.body,
        title=f"Réponse à votre avis sur {opinion.action.title}",
        text=f"{opinion.action.body.name} vous répond.",
        url=f"/actions/{opinion.action_id}/",
        key=f"impact-opinion-reply:{opinion.pk}",
    )
    return opinion
