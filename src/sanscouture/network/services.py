"""Writes of the network app: the interaction ledger read from the product's records, and ties' ratings.

The ledger is derived, never typed in: `interactions_sync` reads hand-overs, cases and messages recorded by the
cases app, the notices of impact and their answers recorded by the impacts app, and writes one row per cooperation
event, idempotently (a unique constraint; re-reading a record changes nothing). Run by `sanscouture reseau-sync`, by the
periodic job, and before every computation of the figures.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import combinations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sanscouture.accounts.models import Membership
from sanscouture.cases.models import Case, Handover, HandoverStatus, Message, OpinionRequest, OpinionStatus, Task
from sanscouture.impacts.models import Exchange, ExchangeKind

from .errors import RatingAlreadyGiven, RatingInvalid, RatingNotAllowed
from .models import (
    SCALE,
    TRUST_ITEMS,
    VALUE_ITEMS,
    Interaction,
    InteractionKind,
    InteractionMonth,
    LedgerCursor,
    TieRating,
)

CURSOR = "ledger"
FOLD_CURSOR = "aggregate"  # its row is locked while folding: one fold at a time
BACKFILL = 50_000  # rows not folded yet from which the fold locks the ledger and marks whole months
FOLD_CHUNK = 10_000  # ids per UPDATE (SQLite binds at most 32,766 parameters)
# The kinds whose delay the aggregate keeps (every one of them, sorted, so that medians stay exact).
TIMED = (
    InteractionKind.HANDOVER_ACCEPTED,
    InteractionKind.HANDOVER_REFUSED,
    InteractionKind.NOTICE_ANSWER,
    InteractionKind.OPINION_GIVEN,
)
# Records committed by a transaction that started before the last run may carry an older time: read them again.
MARGIN = timedelta(minutes=10)
BATCH = 2000


def _row(kind: str, source: str, a: int, b: int, at: datetime, **extra: object) -> Interaction:
    return Interaction(kind=kind, source=source, from_body_id=a, to_body_id=b, at=at, day=at.date(), **extra)


def _from_cases(since: datetime | None) -> Iterator[Interaction]:
    """A case worked by several bodies: one interaction per pair of the bodies that held its tasks when it was opened
    (stored once, lower id first). A task a hand-over created for its receiver does not count: the hand-over itself
    ties the two bodies, so the figure does not depend on when the ledger was read."""
    cases = Case.objects.all() if since is None else Case.objects.filter(created_at__gte=since)
    created: dict[int, datetime] = dict(cases.values_list("pk", "created_at"))
    received: dict[tuple[int, int], list[datetime]] = {}
    accepted = Handover.objects.filter(task__case__in=cases, status=HandoverStatus.ACCEPTED, decided_at__isnull=False)
    for case_id, to_body, decided in accepted.values_list("task__case_id", "to_body_id", "decided_at"):
        received.setdefault((case_id, to_body), []).append(decided)
    bodies: dict[int, set[int]] = {}
    tasks = Task.objects.filter(case__in=cases).values_list("case_id", "body_id", "created_at")
    for case_id, body_id, task_created in tasks:
        if any(decided <= task_created for decided in received.get((case_id, body_id), [])):
            continue  # made by an accepted hand-over
        bodies.setdefault(case_id, set()).add(body_id)
    for case_id, ids in bodies.items():
        for a, b in combinations(sorted(ids), 2):
            yield _row(InteractionKind.CASE_SHARED, f"case:{case_id}", a, b, created[case_id], case_id=case_id)


def _from_handovers(since: datetime | None) -> Iterator[Interaction]:
    """A hand-over sent; its decision (accepted or refused) with the delay between the two."""
    handovers = Handover.objects.all()
    if since is not None:
        handovers = handovers.filter(created_at__gte=since) | handovers.filter(decided_at__gte=since)
    fields = ("pk", "from_body_id", "to_body_id", "from_unit_id", "to_unit_id", "created_at", "decided_at", "status")
    rows = handovers.values_list(*fields, "task__case_id").iterator(chunk_size=BATCH)
    for pk, a, b, ua, ub, created, decided, status, case_id in rows:
        links = {"from_unit_id": ua, "to_unit_id": ub, "case_id": case_id}
        if since is None or created >= since:
            yield _row(InteractionKind.HANDOVER_SENT, f"handover:{pk}", a, b, created, **links)
        # An expired hand-over (no answer in time) has no decision to record; its sending stays.
        if status in (HandoverStatus.ACCEPTED, HandoverStatus.REFUSED) and decided is not None:
            accepted = status == HandoverStatus.ACCEPTED
            kind = InteractionKind.HANDOVER_ACCEPTED if accepted else InteractionKind.HANDOVER_REFUSED
            delay = max(0, int((decided - created).total_seconds()))
            yield _row(kind, f"handover:{pk}", a, b, decided, **links, delay_seconds=delay)


def _from_opinions(since: datetime | None) -> Iterator[Interaction]:
    """An opinion asked on a shared case without handing the task over (docs/adr/017), and the opinion given with
    its delay since the question: the asking body is `from`, as for a hand-over."""
    opinions = OpinionRequest.objects.all()
    if since is not None:
        opinions = opinions.filter(asked_at__gte=since) | opinions.filter(answered_at__gte=since)
    fields = ("pk", "from_body_id", "to_body_id", "from_unit_id", "to_unit_id", "asked_at", "answered_at", "status")
    rows = opinions.values_list(*fields, "task__case_id").iterator(chunk_size=BATCH)
    for pk, a, b, ua, ub, asked, answered, status, case_id in rows:
        links = {"from_unit_id": ua, "to_unit_id": ub, "case_id": case_id}
        if since is None or asked >= since:
            yield _row(InteractionKind.OPINION, f"opinion:{pk}", a, b, asked, **links)
        if status == OpinionStatus.GIVEN and answered is not None:
            delay = max(0, int((answered - asked).total_seconds()))
            yield _row(InteractionKind.OPINION_GIVEN, f"opinion:{pk}", a, b, answered, **links, delay_seconds=delay)


def _from_messages(since: datetime | None) -> Iterator[Interaction]:
    """A message written by a body in a shared case is read by every other body of the case (ADR 018)."""
    messages = Message.objects.filter(body__isnull=False, from_person=False)
    if since is not None:
        messages = messages.filter(created_at__gte=since)
    rows = list(messages.values_list("pk", "case_id", "body_id", "created_at"))
    bodies: dict[int, set[int]] = {}
    for case_id, body_id in Task.objects.filter(case_id__in={r[1] for r in rows}).values_list("case_id", "body_id"):
        bodies.setdefault(case_id, set()).add(body_id)
    for pk, case_id, body_id, at in rows:
        for other in sorted(bodies.get(case_id, set()) - {body_id}):
            yield _row(InteractionKind.MESSAGE, f"message:{pk}", body_id, other, at, case_id=case_id)


def _from_impacts(since: datetime | None) -> Iterator[Interaction]:
    """A notice of impact sent (again after a correction) by the declaring body, and the affected body's answer with
    its delay since the notice (issue 11's ledger of exchanges; reminders and « sans réponse » are the platform's,
    not a body's doing)."""
    kinds = {
        ExchangeKind.NOTICE: InteractionKind.NOTICE,
        ExchangeKind.NOTICE_AGAIN: InteractionKind.NOTICE,
        ExchangeKind.ANSWER: InteractionKind.NOTICE_ANSWER,
    }
    exchanges = Exchange.objects.filter(kind__in=kinds)
    if since is not None:
        exchanges = exchanges.filter(at__gte=since)
    rows = exchanges.values_list("pk", "kind", "from_body_id", "to_body_id", "at", "notice__sent_at")
    for pk, kind, a, b, at, sent in rows.iterator(chunk_size=BATCH):
        delay = max(0, int((at - sent).total_seconds())) if kind == ExchangeKind.ANSWER and sent else None
        yield _row(kinds[kind], f"exchange:{pk}", a, b, at, delay_seconds=delay)


# The sources of the ledger. A new source (gatherings) is one more generator.
SOURCES = (_from_cases, _from_handovers, _from_opinions, _from_messages, _from_impacts)


def _batches(rows: Iterable[Interaction]) -> Iterator[list[Interaction]]:
    batch: list[Interaction] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def interactions_sync(*, full: bool = False, now: datetime | None = None) -> int:
    """Read the product's records since the last run (all of them with `full`) into the ledger, idempotent, then
    fold every ledger row not yet counted into the monthly aggregate (`interactions_fold`), including rows other
    apps wrote directly (gatherings, job shadowing). Returns the number of interactions this run added."""
    now = now or timezone.now()
    cursor = LedgerCursor.objects.select_for_update().filter(name=CURSOR).first()
    since = None if full or cursor is None else cursor.at - MARGIN
    # Counted on the rows not folded yet (a partial index), not on the whole ledger: a million rows cost 0.6 s.
    before = Interaction.objects.filter(folded=False).count()
    for source in SOURCES:
        for batch in _batches(source(since)):
            Interaction.objects.bulk_create(batch, ignore_conflicts=True)
    LedgerCursor.objects.update_or_create(name=CURSOR, defaults={"at": now})
    added = Interaction.objects.filter(folded=False).count() - before
    interactions_fold()
    return added


def _month_key(month: date, kind: str, a: int, b: int, ua: int | None, ub: int | None) -> tuple:
    return (month, kind, a, b, ua or 0, ub or 0)


@transaction.atomic
def interactions_fold() -> int:
    """Count the ledger rows not counted yet (`folded` false, whoever wrote them) into `InteractionMonth`: per month,
    kind, pair of bodies and of services, the number of interactions and their delays. Only the keys of the rows
    read are touched (an update after 1,000 interactions reads and writes a few thousand aggregate rows), and each
    row is marked folded in the same transaction, so nothing is counted twice or missed; rows are never deleted.
    Returns the number of rows folded."""
    LedgerCursor.objects.get_or_create(name=FOLD_CURSOR, defaults={"at": timezone.now()})
    LedgerCursor.objects.select_for_update().get(name=FOLD_CURSOR)
    pending = Interaction.objects.filter(folded=False)
    fields = ("pk", "day", "kind", "from_body_id", "to_body_id", "from_unit_id", "to_unit_id", "delay_seconds")
    folded = 0
    # A backfill (the whole ledger after the migration): writers wait until it commits (PostgreSQL; SQLite has one
    # writer anyway), so each month's rows are marked by one UPDATE instead of by their ids.
    backfill = pending.count() >= BACKFILL
    if backfill and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Interaction._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    for month in pending.dates("day", "month"):
        nxt = (month + timedelta(days=32)).replace(day=1)
        rows = list(pending.filter(day__gte=month, day__lt=nxt).values_list(*fields).order_by())
        _fold_rows(month, rows)
        if backfill:
            pending.filter(day__gte=month, day__lt=nxt).update(folded=True)
        else:
            ids = [row[0] for row in rows]
            for i in range(0, len(ids), FOLD_CHUNK):
                Interaction.objects.filter(pk__in=ids[i : i + FOLD_CHUNK]).update(folded=True)
        folded += len(rows)
    LedgerCursor.objects.filter(name=FOLD_CURSOR).update(at=timezone.now())
    return folded


def interaction_unfold(*, instance: Interaction, **_: object) -> None:
    """A ledger row is being deleted: if it was folded, take it out of its aggregate row (connected to `pre_delete`,
    which Django also sends for queryset deletes and cascades; the flag is read again, the instance may be older
    than the fold). Ledger rows are otherwise never changed once written."""
    if not Interaction.objects.filter(pk=instance.pk, folded=True).exists():
        return
    key = {
        "month": instance.day.replace(day=1),
        "kind": instance.kind,
        "from_body_id": instance.from_body_id,
        "to_body_id": instance.to_body_id,
        "from_unit": instance.from_unit_id or 0,
        "to_unit": instance.to_unit_id or 0,
    }
    row = InteractionMonth.objects.select_for_update().filter(**key).first()
    if row is None:  # gone with its body
        return
    if row.count <= 1:
        row.delete()
        return
    row.count -= 1
    if instance.delay_seconds is not None and instance.delay_seconds in row.delays:
        row.delays.remove(instance.delay_seconds)
    row.save(update_fields=["count", "delays"])


def _fold_rows(month: date, rows: list[tuple]) -> None:
    """Add one month's ledger rows to its aggregate rows (created when missing)."""
    added: dict[tuple, list] = {}
    for _, _, kind, a, b, ua, ub, delay in rows:
        entry = added.setdefault(_month_key(month, kind, a, b, ua, ub), [0, []])
        entry[0] += 1
        if delay is not None and kind in TIMED:
            entry[1].append(delay)
    existing = InteractionMonth.objects.filter(month=month)
    if len(added) < 5000:  # an update: look up only the pairs read (the unique index)
        existing = existing.filter(from_body_id__in={k[2] for k in added}, to_body_id__in={k[3] for k in added})
    changed = []
    for row in existing.iterator(chunk_size=5000) if existing.exists() else ():
        key = (row.month, row.kind, row.from_body_id, row.to_body_id, row.from_unit, row.to_unit)
        entry = added.pop(key, None)
        if entry is not None:
            row.count += entry[0]
            if entry[1]:
                row.delays = sorted([*row.delays, *entry[1]])
            changed.append(row)
    InteractionMonth.objects.bulk_update(changed, ["count", "delays"], batch_size=1000)
    InteractionMonth.objects.bulk_create(
        [
            InteractionMonth(
                month=m, kind=kind, from_body_id=a, to_body_id=b, from_unit=ua, to_unit=ub, count=n, delays=sorted(d)
            )
            for (m, kind, a, b, ua, ub), (n, d) in added.items()
        ],
        batch_size=2000,
    )


def _month(day: date) -> date:
    return day.replace(day=1)


@transaction.atomic
def tie_rate(
    *, handover: Handover, actor: AbstractBaseUser, scores: dict[str, int], today: date | None = None
) -> TieRating:
    """One side of a decided hand-over rates its tie with the other side (PARTNER's six items, 1 to 4). Only an
    agent of one of the two bodies; at most once per pair of bodies and month."""
    if handover.from_body_id == handover.to_body_id:
        raise RatingInvalid("Une orientation entre deux services d'une même structure ne s'évalue pas.")
    if handover.status == HandoverStatus.PENDING:
        raise RatingInvalid("L'orientation n'est pas encore décidée : le lien s'évalue après la décision.")
    mine = set(
        Membership.objects.filter(user=actor, body_id__in=(handover.from_body_id, handover.to_body_id)).values_list(
            "body_id", flat=True
        )
    )
    if not mine:
        raise RatingNotAllowed("Seuls les agents des deux structures de l'orientation peuvent évaluer ce lien.")
    rater = handover.from_body_id if handover.from_body_id in mine else handover.to_body_id
    rated = handover.to_body_id if rater == handover.from_body_id else handover.from_body_id
    bad = [item for item in TRUST_ITEMS + VALUE_ITEMS if scores.get(item) not in SCALE]
    if bad:
        raise RatingInvalid(f"Notes de 1 à 4 attendues pour : {', '.join(bad)}.", details={"champs": bad})
    month = _month(today or timezone.localdate())
    if TieRating.objects.filter(rater_body_id=rater, rated_body_id=rated, month=month).exists():
        raise RatingAlreadyGiven("Votre structure a déjà évalué ce lien ce mois-ci.")
    try:
        with transaction.atomic():
            return TieRating.objects.create(
                handover=handover,
                rater_body_id=rater,
                rated_body_id=rated,
                rater=actor,
                month=month,
                **{item: scores[item] for item in TRUST_ITEMS + VALUE_ITEMS},
            )
    except IntegrityError as exc:  # the same rating sent twice at once
        raise RatingAlreadyGiven("Votre structure a déjà évalué ce lien ce mois-ci.") from exc
