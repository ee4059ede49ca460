"""Webhooks end to end against real HTTPS receivers on 127.0.0.1, signatures checked with `standardwebhooks`."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sanscouture.accounts.models import Membership
from sanscouture.cases.models import AccessLog
from sanscouture.cases.services import message_send, task_hand_over, task_status_set
from sanscouture.notifications.models import Notification
from sanscouture.webhooks.errors import InvalidWebhookUrl, UnknownEventType, WebhookRefused
from sanscouture.webhooks.models import Delivery, DeliveryStatus, Subscription, SubscriptionStatus
from sanscouture.webhooks.services import (
    delivery_replay,
    subscription_create,
    subscription_enable,
    subscription_secret_rotate,
    webhooks_deliver,
)

from .conftest import declare

CAF = "caf:34"


@pytest.fixture
def admin(referential):  # noqa: ANN001, ANN201
    return referential.agent(CAF, role="admin", username="admin-caf34")


@pytest.fixture
def agent(referential):  # noqa: ANN001, ANN201
    return referential.agent(CAF, role="agent", username="agent-caf34")


def subscribe(admin, receiver, events=("tache.modifiee",), **kwargs):  # noqa: ANN001, ANN201
    body = Membership.objects.get(user=admin).body
    return subscription_create(body=body, url=receiver.url, events=list(events), actor=admin, **kwargs)


def verified(secret: str, received) -> dict:  # noqa: ANN001
    return Webhook(secret).verify(received.body, received.headers)


def time_passes() -> None:
    """The retry falls due (the backoff is minutes long; the test does not wait for it)."""
    Delivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_task_change_is_delivered_signed_without_personal_data(admin, agent, receivers, settings):  # noqa: ANN001
    receiver = receivers()
    subscription, secret = subscribe(admin, receiver)
    case = declare()
    task = case.tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)

    report = webhooks_deliver()

    assert report.delivered == 1
    [got] = receiver.received
    payload = verified(secret, got)
    assert payload["type"] == "tache.modifiee"
    assert payload["data"]["tache"] == {
        "id": task.pk,
        "structure": {"id": task.body_id, "siren": task.body.siren or None},
        "statut": "in_progress",
        "echeance": task.due_date.isoformat(),
        "api": f"{settings.SANSCOUTURE_BASE_URL}/api/v1/taches/{task.pk}",
    }
    assert payload["data"]["dossier"]["id"] == str(case.public_id)
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["webhook-id"] == Delivery.objects.get().message_id
    assert "Valeur-" not in got.body.decode(), "no personal field by default"
    assert "personne" not in payload["data"]
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert webhooks_deliver().delivered == 0, "delivered once"
    assert subscription.deliveries.count() == 1


def test_a_receiver_that_was_down_gets_the_event_after_it_comes_back(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers()
    _, secret = subscribe(admin, receiver)
    receiver.stop()  # the body's server is down
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="done", actor=agent)

    report = webhooks_deliver()
    assert (report.delivered, report.retried) == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at > timezone.now()
    assert webhooks_deliver().delivered == 0, "not before its retry time"

    receiver.start()  # back, on the same port
    time_passes()
    assert webhooks_deliver().delivered == 1
    [got] = receiver.received
    assert verified(secret, got)["data"]["tache"]["statut"] == "done"
    assert got.headers["webhook-id"] == delivery.message_id, "the same id on every attempt"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert Subscription.objects.get().failing_since is None


def test_24_hours_of_failures_suspend_and_alert_the_administrator(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers(status=500)
    subscription, secret = subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    subscription.refresh_from_db()
    assert subscription.failing_since is not None and subscription.status == SubscriptionStatus.ACTIVE

    # A day of failures later.
    Subscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - timedelta(hours=24, minutes=1)
    )
    time_passes()
    report = webhooks_deliver()
    subscription.refresh_from_db()
    assert report.suspended == 1 and subscription.status == SubscriptionStatus.SUSPENDED
    alert = Notification.objects.get(recipient=admin, kind="webhook")
    assert alert.url == f"/structures/{subscription.body_id}/webhooks/{subscription.public_id}/"
    assert not Notification.objects.filter(recipient=agent, kind="webhook").exists(), "administrators only"

    # Nothing is lost: events keep being recorded, and leave once the administrator reactivates.
    task_status_set(task=task, status="done", actor=agent)
    time_passes()
    assert webhooks_deliver().delivered == 0, "a suspended subscription is not sent to"
    receiver.status = 204
    subscription_enable(subscription=subscription, actor=admin)
    assert webhooks_deliver().delivered == 2
    statuses = [verified(secret, r)["data"]["tache"]["statut"] for r in receiver.received[-2:]]
    assert statuses == ["in_progress", "done"], "in order"


def test_replay_sends_the_same_message_again(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers()
    _, secret = subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    delivery = Delivery.objects.get()

    delivery_replay(delivery=delivery, actor=admin)
    assert webhooks_deliver().delivered == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert verified(secret, first) == verified(secret, second)
    with pytest.raises(WebhookRefused):
        delivery_replay(delivery=delivery, actor=agent)


def test_rotation_signs_with_both_secrets_during_the_grace_period(admin, agent, receivers, settings):  # noqa: ANN001
    receiver = receivers()
    subscription, old = subscribe(admin, receiver)
    new = subscription_secret_rotate(subscription=subscription, actor=admin)
    assert new != old
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verified(old, got) == verified(new, got), "a receiver with either secret verifies"

    subscription.secrets.exclude(value=new).update(expires_at=timezone.now() - timedelta(seconds=1))
    task_status_set(task=task, status="done", actor=agent)
    webhooks_deliver()
    last = receiver.received[-1]
    assert verified(new, last)["data"]["tache"]["statut"] == "done"
    with pytest.raises(WebhookVerificationError):
        verified(old, last)


def test_a_slow_receiver_does_not_hold_back_the_others(admin, agent, receivers, referential):  # noqa: ANN001
    slow = receivers(gate=threading.Event())
    fast = [receivers() for _ in range(3)]
    for r in [slow, *fast]:
        subscribe(admin, r)
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    released_by_fast = []

    def release_when_fast_served() -> None:
        # The slow receiver holds its request until every fast one has been served (or 10 s have passed).
        released_by_fast.append(all(r.arrived.wait(10) for r in fast))
        slow.gate.set()

    threading.Thread(target=release_when_fast_served, daemon=True).start()
    # Two slots for four receivers: the slow one holds one; the other slot serves the fast ones, one after another.
    report = webhooks_deliver(concurrency=2)
    assert released_by_fast == [True], "the fast receivers were served while the slow one was still held"
    assert report.delivered == 4
    assert all(len(r.received) == 1 for r in fast) and len(slow.received) == 1


def test_personal_fields_only_within_scope_needs_and_consent(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers()
    _, secret = subscribe(admin, receiver, personal_fields=["nom", "telephone"], known_fields=["nom", "telephone"])
    case = declare()
    task = case.tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    payload = verified(secret, receiver.received[-1])
    # The CAF's task needs the name, not the phone number; consent is given.
    assert payload["data"]["personne"] == {"nom": "Valeur-nom-W9"}
    log = AccessLog.objects.filter(case_ref=str(case.public_id), purpose="envoi par webhook").get()
    assert log.fields == ["nom"] and log.body.key == CAF

    case.consents.filter(body__key=CAF).update(withdrawn_at=timezone.now())
    task_status_set(task=task, status="done", actor=agent)
    webhooks_deliver()
    assert "personne" not in verified(secret, receiver.received[-1])["data"], "consent withdrawn"


def test_other_events_reach_the_bodies_concerned(admin, agent, receivers, referential):  # noqa: ANN001
    receiver = receivers()
    _, secret = subscribe(admin, receiver, events=["dossier.ouvert", "orientation.*", "message.nouveau"])
    case = declare()
    task = case.tasks.get(body__key=CAF)
    message_send(case=case, text="Bonjour", from_person=True)
    task_hand_over(task=task, to_body=referential.body("mairie:34274"), reason="Mieux placée", actor=agent)
    webhooks_deliver()
    types = [verified(secret, r)["type"] for r in receiver.received]
    assert types == ["dossier.ouvert", "message.nouveau", "orientation.proposee"]
    opened = verified(secret, receiver.received[0])
    assert opened["data"]["tache"]["id"] == task.pk, "its own task"
    assert "Bonjour" not in receiver.received[1].body.decode(), "no message text"


def test_rolled_back_event_sends_nothing(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers()
    subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    with pytest.raises(RuntimeError), transaction.atomic():
        task_status_set(task=task, status="in_progress", actor=agent)
        raise RuntimeError
    assert not Delivery.objects.exists()
    assert webhooks_deliver().delivered == 0 and receiver.received == []


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("http://127.0.0.1:8443/hook", ["tache.modifiee"], InvalidWebhookUrl),
        ("https://127.0.0.1:8443/hook", ["tache.modifiee"], InvalidWebhookUrl),  # loopback, in production settings
        ("https://10.1.2.3/hook", ["tache.modifiee"], InvalidWebhookUrl),
        ("https://[::1]/hook", ["tache.modifiee"], InvalidWebhookUrl),
        ("https://user:pw@203.0.113.9/hook", ["tache.modifiee"], InvalidWebhookUrl),
        ("https://127.0.0.1/hook", ["tache.supprimee"], UnknownEventType),
        ("https://127.0.0.1/hook", [], UnknownEventType),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(admin, settings, url, events, error):  # noqa: ANN001
    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = False
    body = Membership.objects.get(user=admin).body
    with pytest.raises(error) as exc:
        subscription_create(body=body, url=url, events=events, actor=admin)
    assert exc.value.message and exc.value.code.startswith("webhook_")
    assert not Subscription.objects.exists()


def test_only_administrators_subscribe(agent, referential):  # noqa: ANN001
    with pytest.raises(WebhookRefused):
        subscription_create(body=referential.body(CAF), url="https://127.0.0.1/h", events=["avis.nouveau"], actor=agent)
    assert not Subscription.objects.exists()


def test_payload_is_json_signed_as_sent(admin, agent, receivers):  # noqa: ANN001
    receiver = receivers()
    _, secret = subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    got = receiver.received[0]
    assert got.headers["content-type"] == "application/json"
    assert json.loads(got.body) == verified(secret, got)


def test_the_worker_is_woken_after_commit_and_its_periodic_sweep_delivers(
    admin, agent, receivers, django_capture_on_commit_callbacks
):  # noqa: ANN001
    """The commit enqueues one `deliver_webhooks` task (a wake-up); the periodic job registered in the settings
    delivers what is due even if that enqueue was lost (ADR 006, 024)."""
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from sanscouture.notifications.periodic import run_periodic_job
    from sanscouture.webhooks.tasks import deliver_webhooks

    receiver = receivers()
    subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    with django_capture_on_commit_callbacks(execute=True):
        task_status_set(task=task, status="in_progress", actor=agent)
    assert DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path).count() == 1
    assert receiver.received == [], "the enqueue is only a wake-up: the worker sends"

    assert "sanscouture.webhooks.jobs.deliver" in settings.SANSCOUTURE_PERIODIC_JOBS
    assert run_periodic_job.call("sanscouture.webhooks.jobs.deliver")["livrees"] == 1
    assert len(receiver.received) == 1


def test_addresses_are_checked_again_at_delivery_and_redirects_are_not_followed(admin, agent, receivers, settings):  # noqa: ANN001
    """An address that became private (DNS changed, settings tightened) is not sent to; a 3xx is a failure (a
    redirect could lead anywhere). Both wait for a retry: nothing is lost."""
    receiver = receivers()
    subscribe(admin, receiver)
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = False
    assert webhooks_deliver().retried == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "InvalidWebhookUrl")
    assert receiver.received == []

    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = True
    receiver.status = 302
    time_passes()
    assert webhooks_deliver().retried == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.PENDING,
        302,
        "HTTP 302",
    )
