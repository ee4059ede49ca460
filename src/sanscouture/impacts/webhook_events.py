"""What collective responsibility tells the bodies' systems through webhooks (docs/adr/024-webhooks.md): a notice
sent to an affected body (`avis.nouveau`). Actions are public facts about public bodies: no personal field."""

from django.conf import settings

from sanscouture.webhooks.services import event_emit

from .models import Action, Notice


def notice_sent(notice: Notice, action: Action) -> None:
    base = settings.SANSCOUTURE_BASE_URL.rstrip("/")
    event_emit(
        event_type="avis.nouveau",
        bodies=[notice.body],
        data={
            "avis": {
                "id": notice.pk,
                "version": notice.version,
                "communes": list(notice.communes),
                "echeance": notice.due_on.isoformat(),
                "url": f"{base}/avis/{notice.pk}/",
            },
            "action": {
                "id": action.pk,
                "type": action.kind,
                "titre": action.title,
                "structure": {"id": action.body_id, "siren": action.body.siren or None},
                "debut": action.start.isoformat(),
                "fin": action.end.isoformat() if action.end else None,
            },
        },
    )
