"""Notify the agents of bodies about a case, through the notifications outbox (same transaction)."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body
from sanscouture.notifications.models import Notification, NotificationKind
from sanscouture.notifications.services import Notice, notify_many

from .models import Case

PERSON_KINDS = (NotificationKind.NEW_TASK, NotificationKind.MESSAGE)


def _bodies_recently_notified(bodies: list[Body], case: Case) -> set[int]:
    """The bodies that a declaration or a message of the person already notified about this case within the
    window (one query for all of them)."""
    since = timezone.now() - timedelta(seconds=settings.SANSCOUTURE_PERSON_EMAIL_WINDOW)
    return set(
        Notification.objects.filter(
            body__in=bodies, case_ref=str(case.public_id), kind__in=PERSON_KINDS, created_at__gte=since
        ).values_list("body_id", flat=True)
    )


def notify_bodies(
    *,
    bodies: Iterable[Body | int],
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
    e-mails; the in-app notifications still say everything. In bulk: one read of the agents of all the bodies,
    then two INSERTs (notifications, e-mails), whatever the number of bodies (docs/adr/025). `bodies`: the
    bodies or their ids (the agents' read brings the bodies along)."""
    wanted = [body if isinstance(body, int) else body.pk for body in bodies]
    if not wanted:
        return
    by_pk: dict[int, Body] = {}
    agents: dict[int, list] = {}
    memberships = (
        Membership.objects.filter(body__in=wanted, user__is_active=True)
        .select_related("user", "body")
        .only("user__email", "user__is_active", "body__name")  # what a notice and its e-mail show: no JSON read
    )
    for membership in memberships:
        by_pk[membership.body_id] = membership.body
        agents.setdefault(membership.body_id, []).append(membership.user)
    if not agents:
        return
    recently = _bodies_recently_notified(list(by_pk.values()), case) if from_person else set()
    notify_many(
        notices=[
            Notice(
                recipients=agents[pk],
                body=by_pk[pk],
                dedupe_key=f"{dedupe_key}:{pk}",
                email=pk not in recently,
            )
            for pk in dict.fromkeys(wanted)
            if pk in agents
        ],
        kind=kind,
        title=title,
        text=text,
        url=f"/dossiers/{case.public_id}/",
        case_ref=str(case.public_id),
    )
