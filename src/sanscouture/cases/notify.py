"""Notify the agents of bodies about a case, through the notifications outbox (same transaction)."""

from django.contrib.auth import get_user_model

from sanscouture.bodies.models import Body
from sanscouture.notifications.services import notify

from .models import Case


def notify_bodies(*, bodies: list[Body], kind: str, case: Case, title: str, text: str, dedupe_key: str) -> None:
    """Every active agent of each body gets an in-app notification and an e-mail (no personal data in them)."""
    for body in bodies:
        users = list(get_user_model().objects.filter(memberships__body=body, is_active=True).distinct())
        if users:
            notify(
                recipients=users,
                kind=kind,
                title=title,
                text=text,
                url=f"/dossiers/{case.public_id}/",
                case_ref=str(case.public_id),
                body=body,
                dedupe_key=f"{dedupe_key}:{body.pk}",
            )
