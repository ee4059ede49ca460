"""Reads of the catalogue for screens, API and journeys."""

from collections.abc import Iterable

from .errors import LifeEventNotFound, PublicationNotFound
from .models import LifeEvent, LifeEventQuerySet, Publication


def life_events(audience: str | None = None) -> LifeEventQuerySet:
    """The life events ("Comment faire si"), by title, with their publication; optionally for one audience."""
    qs = LifeEvent.objects.select_related("publication").order_by("publication__title")
    return qs.for_audience(audience) if audience else qs


# A life event's own publication is read for its title, description and URL: its long lists (read from the life
# event's content instead) are left in the database unless asked for.
LIFE_EVENT_DEFERRED = (
    "publication__links",
    "publication__legal_references",
    "publication__online_services",
    "publication__contacts",
    "publication__more_info",
)
# What a journey reads of the publications a step cites (not their links nor legal references).
JOURNEY_FIELDS = ("id", "kind", "title", "description", "url", "contacts", "online_services", "more_info")


def life_event_get(id_or_slug: str) -> LifeEvent:
    """A life event by its stable slug ("je-demenage") or its publication id ("F14128")."""
    key = (id_or_slug or "").strip()
    qs = LifeEvent.objects.select_related("publication").defer(*LIFE_EVENT_DEFERRED)
    event = qs.filter(slug=key.lower()).first() or qs.filter(publication_id=key.upper()).first()
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


def publications_get(ids: Iterable[str], *, fields: Iterable[str] | None = None) -> dict[str, Publication]:
    """The publications among `ids` that the catalogue holds, by id (one query; missing ids are left out);
    `fields`: only these columns (the others load on access), e.g. `JOURNEY_FIELDS`."""
    wanted = list(dict.fromkeys(ids))
    qs = Publication.objects.only(*fields) if fields else Publication.objects.all()
    found: dict[str, Publication] = {}
    for i in range(0, len(wanted), 500):
        found.update(qs.in_bulk(wanted[i : i + 500]))
    return found
