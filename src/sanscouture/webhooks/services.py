"""Writes: subscriptions (create, rotate, disable, reactivate), events written to the delivery outbox in the
caller's transaction, delivery (claim → send → mark), replay.

Delivery (docs/adr/024-webhooks.md): the worker claims due deliveries by subscription — at most LANE of one
subscription at a time, in creation order — and sends each subscription's lane in a thread of a pool of
SANSCOUTURE_WEBHOOKS_CONCURRENCY, with a per-request timeout; as soon as a lane ends, its slot takes the next
subscription with due deliveries. A slow receiver therefore holds one slot, never the others' deliveries. Threads do
HTTP only; every database write happens in the calling thread, each in its own short transaction.
"""

import base64
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from standardwebhooks import Webhook

from sanscouture.bodies.models import Body
from sanscouture.notifications.models import NotificationKind
from sanscouture.notifications.services import notify

from . import net
from .errors import InvalidPersonalField, UnknownEventType, WebhookRefused, WebhookStateError
from .models import EVENT_PATTERNS, EVENT_TYPES, Delivery, DeliveryStatus, Secret, Subscription, SubscriptionStatus
from .permissions import can_manage, managers_of
from .registry import PERSONAL_FIELDS

logger = logging.getLogger("sanscouture.webhooks")
LANE = 10  # deliveries of one subscription sent in a row by one thread (in order)
MAX_EVENTS = 20


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_events(events: Iterable[str]) -> list[str]:
    events = [str(e).strip() for e in events if str(e).strip()]
    if not events:
        raise UnknownEventType("Choisissez au moins un type d'événement.")
    unknown = sorted({e for e in events if e not in EVENT_TYPES and e not in EVENT_PATTERNS})
    if unknown:
        raise UnknownEventType(
            f"Type(s) d'événement inconnu(s) : {', '.join(unknown)}.",
            details={"inconnus": unknown, "connus": [*EVENT_TYPES, *sorted(EVENT_PATTERNS)]},
        )
    return list(dict.fromkeys(events))[:MAX_EVENTS]


def _check_fields(fields: Iterable[str], known: Iterable[str]) -> list[str]:
    fields = [str(f).strip() for f in fields if str(f).strip()]
    known = set(known)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise InvalidPersonalField(f"Champ(s) personnel(s) inconnu(s) : {', '.join(unknown)}.")
    return sorted(set(fields))


def _require(actor: AbstractBaseUser, body: Body) -> None:
    if not can_manage(actor, body):
        raise WebhookRefused(f"Seul un administrateur de {body.name} gère ses webhooks.")


@transaction.atomic
def subscription_create(
    *,
    body: Body,
    url: str,
    events: list[str],
    actor: AbstractBaseUser,
    description: str = "",
    personal_fields: list[str] | None = None,
    known_fields: Iterable[str] | None = None,
) -> tuple[Subscription, str]:
    """Subscribe `url` (HTTPS, public address) to `events` for `body`. Returns the subscription and its secret,
    shown once. `personal_fields` (checked against `known_fields`): the field scope allowed in payloads."""
    _require(actor, body)
    events = _check_events(events)
    fields = _check_fields(personal_fields or [], PERSONAL_FIELDS if known_fields is None else known_fields)
    url = url.strip()
    net.check_url(url)
    subscription = Subscription.objects.create(
        body=body,
        url=url,
        events=events,
        personal_fields=fields,
        description=(description or "").strip()[:200],
        created_by=actor,
    )
    secret = new_secret()
    Secret.objects.create(subscription=subscription, value=secret)
    logger.info("webhook %s créé pour la structure %s (%s)", subscription.public_id, body.pk, ",".join(events))
    return subscription, secret


@transaction.atomic
def subscription_secret_rotate(*, subscription: Subscription, actor: AbstractBaseUser) -> str:
    """A new secret, returned once; the previous ones keep signing for SANSCOUTURE_WEBHOOKS_ROTATION_GRACE seconds
    (every delivery carries one signature per valid secret, as Standard Webhooks allows)."""
    _require(actor, subscription.body)
    now = timezone.now()
    grace = now + timedelta(seconds=_setting("SANSCOUTURE_WEBHOOKS_ROTATION_GRACE", 24 * 3600))
    Secret.objects.filter(subscription=subscription).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=grace)
    ).update(expires_at=grace)
    secret = new_secret()
    Secret.objects.create(subscription=subscription, value=secret)
    logger.info("webhook %s : nouveau secret", subscription.public_id)
    return secret


@transaction.atomic
def subscription_disable(*, subscription: Subscription, actor: AbstractBaseUser) -> Subscription:
    """Stop sending (deliveries already written wait; new events are no longer recorded for it)."""
    _require(actor, subscription.body)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.status, subscription.disabled_at = SubscriptionStatus.DISABLED, timezone.now()
    subscription.save(update_fields=["status", "disabled_at"])
    return subscription


@transaction.atomic
def subscription_enable(*, subscription: Subscription, actor: AbstractBaseUser) -> Subscription:
    """Reactivate (after a suspension or a disable): what waits is sent now, in order."""
    _require(actor, subscription.body)
    net.check_url(subscription.url)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.status, subscription.disabled_at, subscription.failing_since = SubscriptionStatus.ACTIVE, None, None
    subscription.save(update_fields=["status", "disabled_at", "failing_since"])
    now = timezone.now()
    subscription.deliveries.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=now)
    _wake_after_commit()
    return subscription


@transaction.atomic
def delivery_replay(*, delivery: Delivery, actor: AbstractBaseUser) -> Delivery:
    """Send a delivery again now (same `webhook-id`: the receiver recognises a replay)."""
    _require(actor, delivery.subscription.body)
    delivery = Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if delivery.subscription.status != SubscriptionStatus.ACTIVE:
        raise WebhookStateError("Réactivez l'abonnement avant de rejouer ses livraisons.")
    if delivery.status == DeliveryStatus.SENDING:
        raise WebhookStateError("Cette livraison est en cours d'envoi.")
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    _wake_after_commit()
    return delivery


# --- Events: written in the caller's transaction --------------------------------------------------------------


def _wake_after_commit() -> None:
    """One wake-up of the worker per transaction; lost, the periodic sweep delivers anyway."""
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is _enqueue_delivery for entry in pending):
        transaction.on_commit(_enqueue_delivery, robust=True)


def _enqueue_delivery() -> None:
    from .tasks import deliver_webhooks

    deliver_webhooks.enqueue()


def _now_iso() -> str:
    return timezone.now().astimezone(UTC).isoformat().replace("+00:00", "Z")


def bodies_subscribed(body_ids: Iterable[int]) -> set[int]:
    """Which of these bodies have a subscription that may receive events (one query: callers skip the rest)."""
    return set(
        Subscription.objects.filter(body_id__in=list(body_ids))
        .exclude(status=SubscriptionStatus.DISABLED)
        .values_list("body_id", flat=True)
    )


def event_emit(
    *,
    event_type: str,
    bodies: Iterable[Body],
    data: dict[str, Any],
    personal: Callable[[Body, list[str]], dict[str, str]] | None = None,
) -> int:
    """Write one delivery per subscription of `bodies` to `event_type`, in the caller's transaction (one INSERT;
    call it inside the event's own `transaction.atomic`).

    `data` holds ids, types, statuses and links only. `personal(body, scope)` — given by the caller, which knows
    the task's needs and the person's consent and journals the access — returns the personal values the body may
    receive among the subscription's field scope; it is called only for subscriptions that have one. Returns the
    number of deliveries written. A body without subscription costs one query."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"Type d'événement inconnu : {event_type!r}.")
    body_ids = {b.pk: b for b in bodies}
    if not body_ids:
        return 0
    subscriptions = [
        s
        for s in Subscription.objects.filter(body_id__in=body_ids).exclude(status=SubscriptionStatus.DISABLED)
        if s.wants(event_type)
    ]
    if not subscriptions:
        return 0
    now, at = timezone.now(), _now_iso()
    rows = []
    for subscription in subscriptions:
        payload: dict[str, Any] = {"type": event_type, "timestamp": at, "data": dict(data)}
        if subscription.personal_fields and personal is not None:
            values = personal(body_ids[subscription.body_id], list(subscription.personal_fields))
            if values:
                payload["data"]["personne"] = values
        rows.append(
            Delivery(
                message_id=f"msg_{uuid.uuid4().hex}",
                subscription=subscription,
                event_type=event_type,
                payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                next_attempt_at=now,
            )
        )
    Delivery.objects.bulk_create(rows)
    _wake_after_commit()
    return len(rows)


# --- Delivery ------------------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    suspended: int = 0
    by_subscription: dict[int, int] = field(default_factory=dict)


@dataclass
class _Outgoing:
    id: int
    message_id: str
    url: str
    payload: str
    secrets: list[str]


@dataclass
class _Result:
    id: int
    status_code: int | None
    error: str
    at: datetime


def _lease() -> timedelta:
    return timedelta(seconds=_setting("SANSCOUTURE_WEBHOOKS_LEASE", 300))


def _due(now: datetime) -> Any:
    return Delivery.objects.filter(subscription__status=SubscriptionStatus.ACTIVE).filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    )


def _claim(*, busy: set[int], slots: int) -> tuple[uuid.UUID, dict[int, list[Delivery]]]:
    """Claim up to LANE due deliveries of each of up to `slots` subscriptions not already being sent to, oldest
    waiting first; a short transaction of its own (PostgreSQL: SKIP LOCKED, so workers share the rows)."""
    now, token = timezone.now(), uuid.uuid4()
    due = _due(now).exclude(subscription_id__in=busy)
    subscriptions = list(
        due.order_by()
        .values("subscription_id")
        .annotate(first=Min("id"))
        .order_by("first")
        .values_list("subscription_id", flat=True)[:slots]
    )
    if not subscriptions:
        return token, {}
    with transaction.atomic():
        ids: list[int] = []
        for subscription_id in subscriptions:
            rows = due.filter(subscription_id=subscription_id).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            ids += list(rows.values_list("id", flat=True)[:LANE])
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                status=DeliveryStatus.SENDING, claim_token=token, claimed_until=now + _lease()
            )
    lanes: dict[int, list[Delivery]] = {}
    for delivery in (
        Delivery.objects.filter(id__in=ids, claim_token=token).select_related("subscription").order_by("id")
    ):
        lanes.setdefault(delivery.subscription_id, []).append(delivery)
    return token, lanes


def _valid_secrets(subscription_id: int, now: datetime) -> list[str]:
    return list(
        Secret.objects.filter(subscription_id=subscription_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("value", flat=True)
    )


def signed_headers(*, message_id: str, payload: str, secrets_: list[str], at: datetime) -> dict[str, str]:
    """Standard Webhooks 1.0 headers: one `v1,` signature per valid secret, space-separated."""
    signatures = " ".join(Webhook(s).sign(msg_id=message_id, timestamp=at, data=payload) for s in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "SansCouture-Webhooks/1",
    }


def _send_lane(lane: list[_Outgoing], timeout: float) -> list[_Result]:
    """In a pool thread, no database: POST each delivery in order on one kept-alive connection, stop at the first
    failure (the rest waits, keeping the subscription's order and sparing a receiver that is down)."""
    results = []
    sender: net.Sender | None = None
    try:
        for out in lane:
            at = datetime.now(UTC)
            headers = signed_headers(message_id=out.message_id, payload=out.payload, secrets_=out.secrets, at=at)
            try:
                sender = sender or net.Sender(out.url, timeout=timeout)
                code: int | None = sender.post(body=out.payload.encode(), headers=headers)
                error = "" if code is not None and 200 <= code < 300 else f"HTTP {code}"
            except Exception as exc:  # noqa: BLE001 — timeouts, refused connections, TLS, DNS: retry later
                code, error = None, type(exc).__name__[:100]
            results.append(_Result(id=out.id, status_code=code, error=error, at=at))
            if error:
                break
    finally:
        if sender is not None:
            sender.close()
    return results


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min… capped at SANSCOUTURE_WEBHOOKS_MAX_BACKOFF (1 h)."""
    base = _setting("SANSCOUTURE_WEBHOOKS_BACKOFF", 30)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), _setting("SANSCOUTURE_WEBHOOKS_MAX_BACKOFF", 3600)))


def _finish(
    *,
    subscription: Subscription,
    lane: list[Delivery],
    results: list[_Result],
    token: uuid.UUID,
    report: DeliveryReport,
) -> None:
    """Mark a lane in one transaction: its successes in one UPDATE, its failure (at most one: the lane stopped there)
    for a retry with backoff, and what was not tried for the same retry time (order kept). Only rows still claimed
    by this pass are touched."""
    tried = {r.id for r in results}
    ok = [r for r in results if not r.error]
    failed = next((r for r in results if r.error), None)
    untried = [d.id for d in lane if d.id not in tried]
    attempts = {d.id: d.attempts for d in lane}
    mine = Delivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING)
    released = {"claim_token": None, "claimed_until": None}
    with transaction.atomic():
        if ok:
            # One statement for the lane: its rows share the time and code of its last success (a lane lasts at most
            # seconds; a CASE per row costs more to build than the whole send).
            at, code = ok[-1].at, ok[-1].status_code
            done = mine.filter(id__in=[r.id for r in ok]).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=at,
                last_attempt_at=at,
                last_status_code=code,
                last_error="",
                attempts=F("attempts") + 1,
                **released,
            )
            if done < len(ok):
                logger.warning("abonnement %s : réservation expirée pendant l'envoi, doublon possible", subscription.pk)
            report.delivered += len(ok)
            report.by_subscription[subscription.pk] = report.by_subscription.get(subscription.pk, 0) + len(ok)
        retry_at = timezone.now()
        if failed is not None:
            retry_at = failed.at + _backoff(attempts[failed.id] + 1)
            mine.filter(id=failed.id).update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=retry_at,
                last_attempt_at=failed.at,
                last_status_code=failed.status_code,
                last_error=failed.error,
                attempts=F("attempts") + 1,
                **released,
            )
            report.retried += 1
            logger.warning(
                "livraison webhook %s (abonnement %s) : échec %s, tentative %s",
                failed.id,
                subscription.public_id,
                failed.error,
                attempts[failed.id] + 1,
            )
        if untried:  # after a failure in its lane: waits for the same retry time
            mine.filter(id__in=untried).update(status=DeliveryStatus.PENDING, next_attempt_at=retry_at, **released)
        _subscription_health(subscription=subscription, failed=failed, report=report)


def _subscription_health(*, subscription: Subscription, failed: _Result | None, report: DeliveryReport) -> None:
    """Success clears the run of failures; a failure starts one, and 24 h of them suspend the subscription and
    alert the body's administrators (its waiting deliveries are kept for the reactivation)."""
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if failed is None:
        if sub.failing_since is not None:
            sub.failing_since = None
            sub.save(update_fields=["failing_since"])
        return
    if sub.failing_since is None:
        sub.failing_since = failed.at
        sub.save(update_fields=["failing_since"])
        return
    limit = timedelta(seconds=_setting("SANSCOUTURE_WEBHOOKS_DISABLE_AFTER", 24 * 3600))
    if sub.status == SubscriptionStatus.ACTIVE and failed.at - sub.failing_since >= limit:
        sub.status, sub.disabled_at = SubscriptionStatus.SUSPENDED, timezone.now()
        sub.save(update_fields=["status", "disabled_at"])
        report.suspended += 1
        logger.error("webhook %s suspendu après 24 h d'échecs", sub.public_id)
        admins = managers_of(sub.body)
        if admins:
            notify(
                recipients=admins,
                kind=NotificationKind.WEBHOOK,
                title="Webhook suspendu après 24 h d'échecs",
                text=(
                    f"Le serveur {sub.url.split('/')[2]} n'accepte plus les livraisons depuis 24 h : l'abonnement est "
                    "suspendu. Les événements sont conservés et partiront à sa réactivation."
                ),
                url=f"/structures/{sub.body_id}/webhooks/{sub.public_id}/",
                body=sub.body,
                dedupe_key=f"webhook-suspended:{sub.pk}:{sub.failing_since.isoformat()}",
            )


def webhooks_deliver(*, limit: int | None = None, concurrency: int | None = None) -> DeliveryReport:
    """Send every due delivery (idempotent: delivered rows are never claimed again). See the module docstring."""
    concurrency = concurrency or _setting("SANSCOUTURE_WEBHOOKS_CONCURRENCY", 10)
    timeout = float(_setting("SANSCOUTURE_WEBHOOKS_TIMEOUT", 10))
    report = DeliveryReport()
    inflight: dict[Future, tuple[uuid.UUID, Subscription, list[Delivery]]] = {}
    busy: set[int] = set()
    handled = 0
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook") as pool:
        while True:
            room = concurrency - len(inflight)
            if room > 0 and (limit is None or handled < limit):
                token, lanes = _claim(busy=busy, slots=room)
                now = timezone.now()
                for subscription_id, lane in lanes.items():
                    secrets_ = _valid_secrets(subscription_id, now)
                    outgoing = [_Outgoing(d.id, d.message_id, d.subscription.url, d.payload, secrets_) for d in lane]
                    inflight[pool.submit(_send_lane, outgoing, timeout)] = (token, lane[0].subscription, lane)
                    busy.add(subscription_id)
                    handled += len(lane)
            if not inflight:
                break
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in done:
                token, subscription, lane = inflight.pop(future)
                busy.discard(subscription.pk)
                _finish(subscription=subscription, lane=lane, results=future.result(), token=token, report=report)
    return report


@transaction.atomic
def deliveries_purge(*, older_than_days: int) -> int:
    """Delete deliveries delivered more than `older_than_days` ago (undelivered ones are kept)."""
    if older_than_days < 1:
        raise ValueError("La durée de conservation des livraisons est d'au moins un jour.")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Delivery.objects.filter(status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff).delete()
    return deleted
