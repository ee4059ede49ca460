"""Writes: notify agents (in-app + outbox in the caller's transaction), mark read, deliver the outbox.

Delivery is claim → send → mark, each step in its own short transaction (see docs/adr/006-notifications-outbox.md):
a rolled-back change leaves no row, so nothing is sent; a worker killed after the commit leaves the row pending
or claimed, and the next pass (task, sweep or `sanscouture notifications envoyer`) sends it once the claim expires.
"""

import hashlib
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from sanscouture.bodies.models import Body

from .models import Notification, NotificationKind, OutboxEmail, OutboxStatus

logger = logging.getLogger("sanscouture.notifications")

# What a notification must never carry: it is shown to agents and sent by e-mail (TRUST.md, log hygiene).
# Bounded by non-word characters so that identifiers (UUIDs, references) never match by chance.
_PERSONAL_DATA = [
    ("adresse e-mail", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("numéro de téléphone", re.compile(r"(?<![\w-])(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?![\w-])")),
    (
        "NIR",
        re.compile(
            r"(?<![\w-])[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![\w-])"
        ),
    ),
]
MAX_ATTEMPTS = 8
BATCH = 50


class NotificationRejected(ValueError):
    """A notification that would leak personal data or point outside the application."""

    code = "notification_invalide"


def _check(*, kind: str, title: str, text: str, url: str, dedupe_key: str) -> None:
    if kind not in NotificationKind.values:
        raise NotificationRejected(f"Type de notification inconnu : {kind!r}.")
    if not url.startswith("/") or url.startswith("//"):
        raise NotificationRejected("Le lien d'une notification est un chemin de l'application (« /… »).")
    if not title.strip() or "\n" in title or len(title) > 200:
        raise NotificationRejected("Le titre d'une notification tient sur une ligne de 200 caractères au plus.")
    if not dedupe_key or len(dedupe_key) > 200:
        raise NotificationRejected("La clé de déduplication est obligatoire (200 caractères au plus).")
    for label, pattern in _PERSONAL_DATA:
        if pattern.search(title) or pattern.search(text):
            raise NotificationRejected(f"Une notification ne contient pas de donnée personnelle ({label}).")


def _message_id(key: str) -> str:
    """A Message-ID stable for one outbox row: a resend after a crash is recognisable as the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{_domain(settings.DEFAULT_FROM_EMAIL)}>"


@cache
def _domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "sanscouture.localhost"


@dataclass(frozen=True)
class _NamePlaceholder:
    """Stands for the body in a template rendered once for several bodies; its name is put in afterwards."""

    name: str = "\x00structure\x00"


def _emails_by_body(context: dict[str, Any], bodies: list[Body | None]) -> dict[int | None, tuple[str, str]]:
    """The text and HTML e-mails for each body: both templates rendered once, the body's name put in after (as
    the template would: raw in the text, escaped in the HTML). A declaration e-mails a dozen bodies."""
    marker = _NamePlaceholder()
    text = render_to_string("notifications/email.txt", {**context, "body": marker})
    html = render_to_string("notifications/email.html", {**context, "body": marker})
    without_text = without_html = None
    out: dict[int | None, tuple[str, str]] = {}
    for body in bodies:
        if body is None:  # no body: the templates leave the line out
            if without_text is None:
                without_text = render_to_string("notifications/email.txt", {**context, "body": None})
                without_html = render_to_string("notifications/email.html", {**context, "body": None})
            out[None] = (without_text, without_html)  # type: ignore[assignment]
        else:
            out[body.pk] = (text.replace(marker.name, body.name), html.replace(marker.name, escape(body.name)))
    return out


def _enqueue_once_after_commit() -> None:
    """One wake-up of the worker per transaction, however many notifications it wrote (a declaration writes a
    dozen). With the database queue of the settings (the same database), the task row is written in the caller's
    transaction: one commit instead of two (docs/adr/025), and a rolled-back change leaves no task either. Any
    other queue is reached after the commit, robustly: a lost enqueue must not fail the caller's committed change;
    the sweep delivers anyway."""
    pending = transaction.get_connection().run_on_commit  # (savepoint ids, callback, robust)
    if any(entry[1] in (_enqueue_delivery, _delivery_enqueued) for entry in pending):
        return
    if _queue_in_this_database():
        # Marks this transaction as having its wake-up (dropped with a rolled-back savepoint, like the row).
        transaction.on_commit(_delivery_enqueued)
        _enqueue_delivery()
    else:
        transaction.on_commit(_enqueue_delivery, robust=True)


def _delivery_enqueued() -> None:
    """Nothing to do after the commit: the task row was written in the transaction."""


def _queue_in_this_database() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import deliver_outbox

    backend = deliver_outbox.get_backend()
    return isinstance(backend, DatabaseBackend) and transaction.get_connection().alias == "default"


def _enqueue_delivery() -> None:
    from .tasks import deliver_outbox

    deliver_outbox.enqueue()


@dataclass(frozen=True)
class Notice:
    """One body's share of a bulk notification: its agents to notify, and the key of this event for them."""

    recipients: list[AbstractBaseUser]
    body: Body | None
    dedupe_key: str
    email: bool = True


@transaction.atomic(savepoint=False)  # the caller's transaction: a failure here fails it whole
def notify_many(
    *,
    notices: list[Notice],
    kind: str,
    title: str,
    text: str,
    url: str,
    case_ref: str | None = None,
    calendar: str = "",
) -> None:
    """`notify` for several bodies at once (a declaration reaches a dozen): the same rules and rows, but two
    INSERTs in all (the notifications, then the e-mails) whatever the number of bodies and agents."""
    for notice in notices:
        _check(kind=kind, title=title, text=text, url=url, dedupe_key=notice.dedupe_key)
    notifications: list[Notification] = []
    emails: list[OutboxEmail] = []
    now = timezone.now()
    addressed: dict[int, list[AbstractBaseUser]] = {}
    for i, notice in enumerate(notices):
        people = list({user.pk: user for user in notice.recipients}.values())
        notifications += [
            Notification(
                recipient=user,
                body=notice.body,
                kind=kind,
                title=title,
                text=text,
                url=url,
                case_ref=case_ref,
                dedupe_key=notice.dedupe_key,
            )
            for user in people
        ]
        if notice.email:
            addressed[i] = [u for u in people if getattr(u, "email", "") and u.is_active]
    context = {
        "title": title,
        "text": text,
        "kind": NotificationKind(kind).label,
        "case_ref": case_ref,
        "link": settings.SANSCOUTURE_BASE_URL.rstrip("/") + url,
    }
    rendered = _emails_by_body(context, [notices[i].body for i, users in addressed.items() if users])
    for i, users in addressed.items():
        notice = notices[i]
        if not users:
            continue
        text_body, html_body = rendered[notice.body.pk if notice.body else None]
        emails += [
            OutboxEmail(
                to=user.email,
                subject=f"Sans Couture : {title}",
                text_body=text_body,
                html_body=html_body,
                calendar=calendar,
                kind=kind,
                dedupe_key=f"{notice.dedupe_key}:{user.pk}",
                message_id=_message_id(f"{notice.dedupe_key}:{user.pk}"),
                next_attempt_at=now,
            )
            for user in users
        ]
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    if emails:
        OutboxEmail.objects.bulk_create(emails, ignore_conflicts=True)
        _enqueue_once_after_commit()


@transaction.atomic
def notify(
    *,
    recipients: list[AbstractBaseUser],
    kind: str,
    title: str,
    text: str,
    url: str,
    case_ref: str | None = None,
    body: Body | None = None,
    dedupe_key: str,
    email: bool = True,
    calendar: str = "",
) -> list[Notification]:
    """Notify `recipients` in-app and by e-mail, inside the caller's transaction.

    `email=False`: in-app only (the caller already e-mailed about the same thing recently).
    `calendar`: an iCalendar text (invitation, update, cancellation) attached to each e-mail as `invitation.ics`.

    Writes one Notification per recipient and one OutboxEmail per recipient with an active account and an
    e-mail address; delivery is enqueued after the commit. The same `dedupe_key` (one event, e.g.
    "task-created:<task id>") never creates a second row. `title`/`text` name the case, never the person.
    Returns each recipient's notification (the existing one when the key was already used).
    """
    _check(kind=kind, title=title, text=text, url=url, dedupe_key=dedupe_key)
    people = list({user.pk: user for user in recipients}.values())
    if not people:
        return []
    notify_many(
        notices=[Notice(recipients=people, body=body, dedupe_key=dedupe_key, email=email)],
        kind=kind,
        title=title,
        text=text,
        url=url,
        case_ref=case_ref,
        calendar=calendar,
    )
    by_user = {n.recipient_id: n for n in Notification.objects.filter(recipient__in=people, dedupe_key=dedupe_key)}
    return [by_user[user.pk] for user in people]


def notify_due_soon(
    *, recipients: list[AbstractBaseUser], case_ref: str, due_on: date, url: str, body: Body | None = None
) -> list[Notification]:
    """Hook for cases' due-date reminders: one notice per task link and due date, whatever the number of runs."""
    return notify(
        recipients=recipients,
        kind=NotificationKind.DUE_SOON,
        title=f"Échéance proche sur le dossier {case_ref}",
        text=f"Une tâche de ce dossier arrive à échéance le {due_on:%d/%m/%Y}.",
        url=url,
        case_ref=case_ref,
        body=body,
        dedupe_key=f"due_soon:{url}:{due_on.isoformat()}",
    )


def notifications_mark_read(*, user: AbstractBaseUser, ids: Iterable[int]) -> int:
    """Mark the user's own notifications among `ids` as read; other people's ids are ignored. Returns the count."""
    return (
        Notification.objects.for_user(user).unread().filter(id__in=[int(i) for i in ids]).update(read_at=timezone.now())
    )


def notifications_mark_all_read(*, user: AbstractBaseUser) -> int:
    """Mark every unread notification of the user as read. Returns the count."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _lease() -> timedelta:
    return timedelta(seconds=settings.SANSCOUTURE_OUTBOX_LEASE)


def _claim(*, limit: int) -> tuple[uuid.UUID, list[OutboxEmail]]:
    """Claim due e-mails in a short transaction of their own: pending ones, and claims whose worker died."""
    now = timezone.now()
    token = uuid.uuid4()
    due = OutboxEmail.objects.filter(
        Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(status=OutboxStatus.SENDING, claimed_until__lt=now)
    ).order_by("id")
    if not due.exists():  # the usual case: no write transaction (on SQLite, no write lock) for nothing
        return token, []
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)  # PostgreSQL: workers share the rows, none waits
        # SQLite: the settings' IMMEDIATE transactions serialise claimers, so one claim never overlaps another.
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            OutboxEmail.objects.filter(id__in=ids).update(
                status=OutboxStatus.SENDING,
                claim_token=token,
                claimed_until=now + _lease(),
                attempts=F("attempts") + 1,
            )
    return token, list(OutboxEmail.objects.filter(id__in=ids, claim_token=token))


def _send(*, email: OutboxEmail, mail_connection: object) -> None:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id, "Auto-Submitted": "auto-generated"},
        connection=mail_connection,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    if email.calendar:
        method = "CANCEL" if "METHOD:CANCEL" in email.calendar else "REQUEST"
        message.attach("invitation.ics", email.calendar, f"text/calendar; method={method}; charset=utf-8")
    message.send()


def _finish(*, email: OutboxEmail, token: uuid.UUID, error: BaseException | None, report: DeliveryReport) -> None:
    mine = OutboxEmail.objects.filter(id=email.id, claim_token=token, status=OutboxStatus.SENDING)
    if error is None:
        done = mine.update(status=OutboxStatus.SENT, sent_at=timezone.now(), claim_token=None, claimed_until=None)
        report.sent += 1
        logger.info("e-mail id=%s kind=%s envoyé (tentative %s)", email.id, email.kind, email.attempts)
        if not done:
            logger.warning("e-mail id=%s : réservation expirée pendant l'envoi, un doublon est possible", email.id)
        return
    name = type(error).__name__[:100]
    if email.attempts >= MAX_ATTEMPTS:
        mine.update(status=OutboxStatus.FAILED, last_error=name, claim_token=None, claimed_until=None)
        report.failed += 1
        logger.error("e-mail id=%s abandonné après %s tentatives (%s)", email.id, email.attempts, name)
        return
    delay = timedelta(minutes=2 ** (email.attempts - 1))
    mine.update(
        status=OutboxStatus.PENDING,
        last_error=name,
        claim_token=None,
        claimed_until=None,
        next_attempt_at=timezone.now() + delay,
    )
    report.retried += 1
    logger.warning(
        "e-mail id=%s : échec %s, nouvel essai dans %s min", email.id, name, int(delay.total_seconds() // 60)
    )


def outbox_deliver(*, limit: int | None = None) -> DeliveryReport:
    """Send every due e-mail of the outbox (idempotent: sent rows are never claimed again).

    Each e-mail is claimed in its own transaction before sending and marked sent after; a worker killed in
    between leaves a claim that expires after SANSCOUTURE_OUTBOX_LEASE seconds, then any worker sends it.
    """
    report = DeliveryReport()
    handled = 0
    while limit is None or handled < limit:
        token, batch = _claim(limit=BATCH if limit is None else min(BATCH, limit - handled))
        if not batch:
            break
        handled += len(batch)
        mail_connection = get_connection(fail_silently=False)
        try:
            for email in batch:
                try:
                    _send(email=email, mail_connection=mail_connection)
                except Exception as exc:  # noqa: BLE001 — any backend error: retry later, log its class only
                    _finish(email=email, token=token, error=exc, report=report)
                else:
                    _finish(email=email, token=token, error=None, report=report)
        finally:
            try:
                mail_connection.close()
            except Exception as exc:  # noqa: BLE001
                logger.warning("fermeture de la connexion d'envoi : %s", type(exc).__name__)
    return report


@dataclass
class PurgeReport:
    notifications: int = 0
    emails: int = 0


@transaction.atomic
def notifications_purge(*, older_than_days: int, now: datetime | None = None) -> PurgeReport:
    """Delete notifications created more than `older_than_days` ago (read or not: the case keeps the facts),
    and outbox e-mails sent (or abandoned) that long ago. Pending or claimed e-mails are never deleted."""
    if older_than_days < 1:
        raise ValueError("La durée de conservation des notifications est d'au moins un jour.")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    notifications, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    emails, _ = OutboxEmail.objects.filter(
        Q(status=OutboxStatus.SENT, sent_at__lt=cutoff) | Q(status=OutboxStatus.FAILED, created_at__lt=cutoff)
    ).delete()
    return PurgeReport(notifications=notifications, emails=emails)
