"""Notify the agents of bodies about a case, through the notifications outbox (same transaction)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from sanscouture.bodies.models import Body
from sanscouture.notifications.models import Notification, NotificationKind
from sanscouture.notifications.services import notify

from .models import Case

PERSON_KINDS = (NotificationKind.NEW_TASK, NotificationKind.MESSAGE)


def _person_activity_recently_notified(body: Body, case: Case) -> bool:
    """A declaration or a message of the person already notified this body about this case within the window."""
    since = timezone.now() - timedelta(seconds=settings.SANSCOUTURE_PERSON_EMAIL_WINDOW)
    return Notification.objects.filter(
        body=body, case_ref=str(case.public_id), kind__in=PERSON_KINDS, created_at__gte=since
    ).exists()


def notify_bodies(
    *,
    bodies: list[Body],
    kind: str,
    case: Case,
    title: str,
    text: str,
    dedupe_key: str,
    from_person: bool = False,
) -> None:
    """Every active agent of each body gets an in-app notification and an e-mail (no personal data in them).

    What the person does (`from_person`: the declaration's tasks, their messages) e-mails a body at most once per
    case within SANSCOUTURE_PERSON_EMAIL_WINDOW: a flood of declarations or messages cannot become a flood of
    e-mails; the in-app notifications still say everything."""
    for body in bodies:
        users = list(get_user_model().objects.filter(memberships__body=body, is_active=True).distinct())
        if users:
            email = not (from_person and _person_activity_recently_notified(body, case))
            notify(
                recipients=users,
                kind=kind,
                title=title,
                text=text,
                url=f"/dossiers/{case.public_id}/",
                case_ref=str(case.public_id),
                body=body,
                dedupe_key=f"{dedupe_key}:{body.pk}",
                email=email,
            )
