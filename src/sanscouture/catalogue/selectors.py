"""Reads of the catalogue for screens, API and journeys."""

from collections.abc import Iterable

from .errors import LifeEventNotFound, PublicationNotFound
from .models import LifeEvent, LifeEventQuerySet, Publication


def life_events(audience: str | None = None) -> LifeEventQuerySet:
    """The life events ("Comment faire si"), by title, with their publication; optionally for one audience."""
    qs = LifeEvent.objects.select_related("publication").order_by("publication__title")
    return qs.for_audience(audience) if audience else qs


def life_event_get(id_or_slug: str) -> LifeEvent:
    """A life event by its stable slug ("je-demenage") or its publication id ("F14128")."""
    key = (id_or_slug or "").strip()
    event = (
        LifeEvent.objects.select_related("publication").filter(slug=key.lower()).first()
        or LifeEvent.objects.select_related("publication").filter(publication_id=key.upper()).first()
    )
    if event is None:
        raise LifeEventNotFound(f"Moment de vie inconnu : « {key} ».", details={"moment_de_vie": key})
    return event


def publication_get(publication_id: str) -> Publication:
    """A publication by its official id (F…, N…, R…)."""
    key = (publication_id or "").strip().upper()
    publication = Publication.objects.filter(pk=key).first()
    if publication is None:
        raise PublicationNotFound(f"Fiche inconnue : « {publication_id} ».", details={"fiche": publication_id})
    return publication


def publications_get(ids: Iterable[str]) -> dict[str, Publication]:
    """The publications among `ids` that the catalogue holds, by id (one query; missing ids are left out)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Publication] = {}
    for i in range(0, len(wanted), 500):
        found.update(Publication.objects.in_bulk(wanted[i : i + 500]))
    return found
