"""What cases tell the bodies' systems through webhooks (docs/adr/024-webhooks.md): one call per event, inside the
event's transaction. Payloads carry ids, types, statuses and links; a personal field goes out only when the body's
subscription asks for it (its field scope), the body's task needs it and the person's consent to the body is
current — and then the access is journalled like any other read."""

from typing import Any

from django.conf import settings

from sanscouture.bodies.models import Body
from sanscouture.webhooks.services import bodies_subscribed, event_emit

from .fields import needs
from .models import Case, Consent, Handover, Message, Task


def _link(path: str) -> str:
    return settings.SANSCOUTURE_BASE_URL.rstrip("/") + path


def _case(case: Case) -> dict[str, Any]:
    return {
        "id": str(case.public_id),
        "reference": case.reference,
        "moment_de_vie": case.life_event,
        "commune": case.commune.insee_code,
        "statut": case.status,
        "url": _link(f"/dossiers/{case.public_id}/"),
        "api": _link(f"/api/v1/dossiers/{case.public_id}"),
    }


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "structure": {"id": task.body_id, "siren": task.body.siren or None},
        "statut": task.status,
        "echeance": task.due_date.isoformat(),
        "api": _link(f"/api/v1/taches/{task.pk}"),
    }


def _personal(case: Case) -> Any:
    """The values a body may receive, for `event_emit` (called only for subscriptions with a field scope)."""

    def values(body: Body, scope: list[str]) -> dict[str, str]:
        if not Consent.objects.filter(case=case, body=body, withdrawn_at__isnull=True).exists():
            return {}
        allowed = set(scope) & {f for t in case.tasks.filter(body=body) for f in needs(t.pivot)}
        data = getattr(case, "data", None)
        out = {k: v for k, v in (data.values if data else {}).items() if k in allowed}
        if out:
            from .services import audit

            audit(case=case, action="lecture", fields=list(out), purpose="envoi par webhook", body=body)
        return out

    return values


def case_opened(case: Case, tasks: list[Task]) -> None:
    """`dossier.ouvert`: each body with a task in the new case receives its own task (one query when none of them
    has a subscription, the usual case)."""
    subscribed = bodies_subscribed(t.body_id for t in tasks)
    for task in (t for t in tasks if t.body_id in subscribed):
        event_emit(
            event_type="dossier.ouvert",
            bodies=[task.body],
            data={"dossier": _case(case), "tache": _task(task)},
            personal=_personal(case),
        )


def task_changed(task: Task) -> None:
    """`tache.modifiee`: every body of the case (they work on it together)."""
    bodies = {t.body for t in task.case.tasks.select_related("body")}
    event_emit(
        event_type="tache.modifiee",
        bodies=bodies,
        data={"dossier": _case(task.case), "tache": _task(task)},
        personal=_personal(task.case),
    )


def handover_event(handover: Handover, event_type: str) -> None:
    """`orientation.proposee|acceptee|refusee`: the two bodies of the hand-over."""
    task = handover.task
    event_emit(
        event_type=event_type,
        bodies=[handover.from_body, handover.to_body],
        data={
            "dossier": _case(task.case),
            "tache": _task(task),
            "orientation": {
                "id": handover.pk,
                "statut": handover.status,
                "de": {"id": handover.from_body_id, "siren": handover.from_body.siren or None},
                "vers": {"id": handover.to_body_id, "siren": handover.to_body.siren or None},
                "etapes": len(handover.steps),
                "motif_refus": handover.refusal_reason or None,
            },
        },
        personal=_personal(task.case),
    )


def message_posted(message: Message) -> None:
    """`message.nouveau`: every body of the case; the text is not sent (it may say anything about the person)."""
    case = message.case
    event_emit(
        event_type="message.nouveau",
        bodies={t.body for t in case.tasks.select_related("body")},
        data={
            "dossier": _case(case),
            "message": {
                "id": message.pk,
                "de": "personne" if message.from_person else "structure",
                "structure": message.body_id,
                "api": _link(f"/api/v1/dossiers/{case.public_id}/messages"),
            },
        },
    )
