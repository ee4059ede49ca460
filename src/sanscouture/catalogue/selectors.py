"""Reads of the catalogue for screens, API and journeys."""

import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from sanscouture.competences.models import RoutingVersion
from sanscouture.competences.routing import local_generation

from .errors import LifeEventNotFound, PublicationNotFound
from .models import CatalogueVersion, LifeEvent, LifeEventQuerySet, Publication


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


# What a process keeps of the catalogue between requests (journeys: life events and the publications they cite),
# dropped when any process imports a catalogue (the version row), checked at most every CHECK_EVERY_SECONDS.
CHECK_EVERY_SECONDS = 2.0
_memo_lock = threading.Lock()
_memo: dict[str, Any] = {"version": None, "checked": 0.0, "items": {}, "in_transaction": False, "routing": -1}


def _versions() -> tuple[int, int]:
    """The catalogue's and the routing's version rows, in one round trip (plain SQL: a query per row would double
    what a declaration pays when the check falls inside it)."""
    catalogue_table = connection.ops.quote_name(CatalogueVersion._meta.db_table)
    routing_table = connection.ops.quote_name(RoutingVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT version FROM {catalogue_table} WHERE id = 1), "  # noqa: S608 (model names)
            f"(SELECT version FROM {routing_table} WHERE id = 1)"
        )
        catalogue_version, routing_version = cursor.fetchone()
    return catalogue_version or 0, routing_version or 0


def catalogue_memo() -> dict[Any, Any]:
    """A dict for what derives from the catalogue alone, kept in the process until the next catalogue import or
    routing change (the routing version too: bodies, their names and whether active, change with the referential).

    Usable inside a transaction (a declaration reads its journey in its own): a transaction that changes the
    catalogue or the referential calls the invalidation, which drops the memo at once; the versions read inside a
    transaction are read again after it (as the routing index does), so a rolled-back import is never kept."""
    in_transaction = connection.in_atomic_block
    if _memo["routing"] != local_generation():  # this process dropped its routing index: drop along with it
        _drop_memo()
    stale = time.monotonic() - _memo["checked"] >= CHECK_EVERY_SECONDS
    if stale or (_memo["in_transaction"] and not in_transaction):
        with _memo_lock:
            version = _versions()
            if version != _memo["version"]:
                _memo.update(version=version, items={})
            _memo["checked"] = time.monotonic()
            _memo["in_transaction"] = in_transaction
    return _memo["items"]


def catalogue_memo_invalidate() -> None:
    """Call in the transaction that changes the catalogue: every process drops its memo on its next check."""
    CatalogueVersion.objects.get_or_create(pk=1)
    CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1)
    _drop_memo()
    transaction.on_commit(_drop_memo)


def _drop_memo() -> None:
    _memo.update(version=None, checked=0.0, items={}, in_transaction=False, routing=local_generation())
