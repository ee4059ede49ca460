"""notify → outbox → delivery, in-process on the real test database (the worker's code path, called directly)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sanscouture.notifications import selectors
from sanscouture.notifications.models import Notification, NotificationKind, OutboxEmail, OutboxStatus
from sanscouture.notifications.services import (
    NotificationRejected,
    _claim,
    _send,
    notifications_mark_all_read,
    notifications_mark_read,
    notify,
    notify_due_soon,
    outbox_deliver,
)
from sanscouture.notifications.tasks import deliver_outbox

CASE = "0b7e4d2c-9f1a-4c3e-8a6b-2d5f7e9a1c3b"


class Rollback(Exception):
    pass


def _user(name: str, email: str | None = None, **extra):  # noqa: ANN003, ANN202
    return get_user_model().objects.create_user(
        username=name, email=email if email is not None else f"{name}@exemple.fr", first_name="Camille", **extra
    )


def _notify(users, key="task-created:1", **overrides):  # noqa: ANN001, ANN003, ANN202
    return notify(
        **{
            "recipients": users,
            "kind": NotificationKind.NEW_TASK,
            "title": "Nouvelle tâche sur le dossier 0B7E4D2C",
            "text": "Déménagement : mise à jour de votre dossier.",
            "url": f"/dossiers/{CASE}/",
            "case_ref": CASE,
            "dedupe_key": key,
            **overrides,
        }
    )


def test_a_rolled_back_transaction_sends_nothing(referential, django_capture_on_commit_callbacks):
    users = [_user("ana"), _user("ben")]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        _notify(users, body=referential.body("caf:34"))
        assert OutboxEmail.objects.count() == 2
        raise Rollback
    assert callbacks == []
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert outbox_deliver().sent == 0 and deliver_outbox.call() == 0
    assert mail.outbox == []


def test_a_commit_enqueues_delivery_which_sends_once(referential, django_capture_on_commit_callbacks):
    users = [_user("ana"), _user("ben"), _user("sans-adresse", email="")]
    with django_capture_on_commit_callbacks(execute=True):
        notifications = _notify(users, body=referential.body("caf:34"))
    assert [n.recipient for n in notifications] == users
    assert OutboxEmail.objects.filter(status=OutboxStatus.PENDING).count() == 2  # no address, in-app only
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "sanscouture.notifications.tasks.deliver_outbox" and queued.status == "READY"

    assert deliver_outbox.call() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@exemple.fr", "ben@exemple.fr"]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    message_ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert message_ids == set(OutboxEmail.objects.values_list("message_id", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        again = _notify(users, body=referential.body("caf:34"))
    assert again == notifications
    assert Notification.objects.count() == 3 and OutboxEmail.objects.count() == 2
    assert deliver_outbox.call() == 0 and outbox_deliver().sent == 0
    assert len(mail.outbox) == 2


def test_the_email_is_french_links_to_the_case_and_names_no_person(referential):
    body = referential.body("caf:34")
    _notify([_user("ana")], body=body)
    outbox_deliver()
    (message,) = mail.outbox
    assert message.subject == "Sans Couture : Nouvelle tâche sur le dossier 0B7E4D2C"
    assert f"http://127.0.0.1:8000/dossiers/{CASE}/" in message.body
    assert "Bonjour," in message.body and body.name in message.body and "Nouvelle tâche" in message.body
    assert "Camille" not in message.body and "ana" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="http://127.0.0.1:8000/dossiers/{CASE}/"' in html
    assert message.extra_headers["Message-ID"].endswith("@sanscouture.localhost>")


def test_an_invitation_travels_as_a_calendar_attachment_and_a_cancellation_says_so(db):
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{}\r\nEND:VCALENDAR\r\n"
    _notify([_user("ana")], key="gathering:1", kind=NotificationKind.GATHERING, calendar=ics.format("REQUEST"))
    _notify([_user("ben")], key="gathering:1:cancel", kind=NotificationKind.GATHERING, calendar=ics.format("CANCEL"))
    _notify([_user("eve")], key="task-created:9")
    outbox_deliver()
    by_to = {m.to[0]: m for m in mail.outbox}
    ((name, content, mimetype),) = by_to["ana@exemple.fr"].attachments
    assert name == "invitation.ics" and "METHOD:REQUEST" in content and mimetype.startswith("text/calendar")
    assert "method=REQUEST" in mimetype
    assert "method=CANCEL" in by_to["ben@exemple.fr"].attachments[0][2]
    assert by_to["eve@exemple.fr"].attachments == []


def test_inactive_agents_get_no_email(db):
    _notify([_user("parti", is_active=False)])
    assert Notification.objects.count() == 1 and not OutboxEmail.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "Contact : camille.martin@exemple.fr"),
        ("text", "Rappeler le 06 12 34 56 78"),
        ("text", "NIR 1 85 05 78 006 084 36"),
        ("title", "Dossier de Camille\nMartin"),
        ("url", "https://ailleurs.example/"),
        ("url", "//ailleurs.example/"),
        ("kind", "spam"),
        ("dedupe_key", ""),
    ],
)
def test_personal_data_and_foreign_links_are_refused(db, field, value):
    with pytest.raises(NotificationRejected):
        _notify([_user("ana")], **{field: value})
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_identifiers_are_not_mistaken_for_personal_data(db):
    _notify([_user("ana")], text=f"Dossier {CASE}, tâche 0612345678-2B")
    assert Notification.objects.count() == 1


def test_a_worker_killed_after_its_claim_leaves_the_email_to_the_next_one(db, settings):
    settings.SANSCOUTURE_OUTBOX_LEASE = 60
    _notify([_user("ana")])
    _token, claimed = _claim(limit=10)  # … and the worker dies here
    assert [e.status for e in claimed] == [OutboxStatus.SENDING]
    assert outbox_deliver().sent == 0  # still claimed: nobody else sends it
    OutboxEmail.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox_deliver().sent == 1
    assert outbox_deliver().sent == 0
    assert len(mail.outbox) == 1
    assert OutboxEmail.objects.get().attempts == 2


def test_a_crash_between_send_and_mark_resends_with_the_same_message_id(db):
    """The honest limit (ADR 006): at-least-once. The duplicate carries the same Message-ID."""
    _notify([_user("ana")])
    _token, (claimed,) = _claim(limit=10)
    from django.core.mail import get_connection

    _send(email=claimed, mail_connection=get_connection())  # sent, then killed before marking it
    OutboxEmail.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox_deliver().sent == 1
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]


@override_settings(EMAIL_BACKEND="tests.notifications.slowmail.RefusingEmailBackend")
def test_a_refused_email_is_retried_later_and_its_error_names_no_address(db):
    _notify([_user("ana")])
    report = outbox_deliver()
    assert (report.sent, report.retried) == (0, 1)
    email = OutboxEmail.objects.get()
    assert email.status == OutboxStatus.PENDING and email.last_error == "SMTPRecipientsRefused"
    assert email.next_attempt_at > timezone.now()
    assert outbox_deliver().retried == 0  # not due yet
    OutboxEmail.objects.update(next_attempt_at=timezone.now(), attempts=7)
    assert outbox_deliver().failed == 1
    assert OutboxEmail.objects.get().status == OutboxStatus.FAILED


def test_unread_count_and_marking_read_only_touches_ones_own(db):
    ana, ben = _user("ana"), _user("ben")
    for i in range(3):
        _notify([ana, ben], key=f"message:{i}", kind=NotificationKind.MESSAGE)
    assert selectors.unread_for(ana).count() == 3 and selectors.for_user(ana).count() == 3
    bens = list(selectors.for_user(ben).values_list("id", flat=True))
    anas = list(selectors.for_user(ana).values_list("id", flat=True))

    assert notifications_mark_read(user=ana, ids=[anas[0], *bens]) == 1
    assert selectors.unread_for(ana).count() == 2
    assert selectors.unread_for(ben).count() == 3  # ben's ids passed by ana changed nothing
    assert notifications_mark_read(user=ana, ids=[anas[0]]) == 0  # already read
    assert notifications_mark_all_read(user=ana) == 2
    assert selectors.unread_for(ana).count() == 0 and selectors.unread_for(ben).count() == 3


def test_due_soon_hook_notifies_once_per_due_date(db):
    ana = _user("ana")
    for _ in range(2):
        notify_due_soon(recipients=[ana], case_ref="0B7E4D2C", due_on=date(2026, 12, 1), url=f"/dossiers/{CASE}/")
    (notice,) = selectors.for_user(ana)
    assert notice.kind == NotificationKind.DUE_SOON and "01/12/2026" in notice.text
    assert OutboxEmail.objects.count() == 1
