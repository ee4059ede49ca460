"""Writes on journeys: local steps. Keyword-only, atomic, taking the acting user."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from sanscouture.accounts.permissions import can_declare_for
from sanscouture.bodies.models import Body
from sanscouture.catalogue.selectors import life_event_get
from sanscouture.competences.errors import NotAuthorised
from sanscouture.competences.routing import check_date

from .errors import InvalidLocalStep
from .models import LocalStep


@transaction.atomic
def local_step_add(
    *,
    body: Body,
    life_event: str,
    title: str,
    description: str = "",
    url: str = "",
    start: date,
    end: date | None = None,
    actor: AbstractBaseUser,
) -> LocalStep:
    """Add a step of `body` to a life event, for the communes it serves, from `start` (to `end`, inclusive)."""
    if not can_declare_for(actor, body):
        raise NotAuthorised(f"Vous n'êtes pas habilité à ajouter des étapes pour {body.name}.")
    event = life_event_get(life_event)
    title = (title or "").strip()
    if not title:
        raise InvalidLocalStep("Donnez un titre à l'étape.")
    if len(title) > 200 or len(description) > 5000 or len(url) > 200:
        raise InvalidLocalStep("Titre (200 caractères), description (5 000) ou lien (200) trop longs.")
    if url and not url.startswith(("https://", "http://")):
        raise InvalidLocalStep("Le lien doit commencer par https://.")
    check_date(start)
    if end is not None and end < start:
        raise InvalidLocalStep("La date de fin précède la date de début.")
    return LocalStep.objects.create(
        body=body,
        life_event=event.publication_id,
        title=title,
        description=description.strip(),
        url=url,
        start=start,
        end=end,
        created_by=actor,
    )


@transaction.atomic
def local_step_withdraw(*, step: LocalStep, actor: AbstractBaseUser) -> LocalStep:
    """Withdraw a local step (kept for history)."""
    if not can_declare_for(actor, step.body):
        raise NotAuthorised(f"Vous n'êtes pas habilité à retirer les étapes de {step.body.name}.")
    step.withdrawn_at = timezone.now()
    step.save(update_fields=["withdrawn_at"])
    return step
