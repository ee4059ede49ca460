"""The workflow of a pair, step by step, with every refusal of bad input changing nothing."""

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from sanscouture.bodies.models import BodyUnit
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.notifications.models import OutboxEmail
from sanscouture.notifications.services import outbox_deliver
from sanscouture.shadowing.errors import (
    DatesInPast,
    EndBeforeStart,
    NotOptedIn,
    NotYourBody,
    OutOfOrder,
    ReasonRequired,
    SelfPairing,
)
from sanscouture.shadowing.models import Pair, PairEvent, PairStatus
from sanscouture.shadowing.selectors import pairs_completed
from sanscouture.shadowing.services import (
    pair_accept,
    pair_approve,
    pair_complete,
    pair_feedback,
    pair_propose,
    pair_refuse,
    pair_schedule,
    pair_withdraw,
    profile_save,
)


def _approved(cast) -> Pair:  # noqa: ANN001
    pair = pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.dep_profile, message="Bonjour")
    pair_accept(pair=pair, actor=cast.dep_agent)
    pair_approve(pair=pair, actor=cast.caf_admin)
    return pair_approve(pair=pair, actor=cast.dep_admin)


def test_a_pair_between_two_bodies_goes_from_proposal_to_feedback_and_into_the_ledger(cast):
    pair = pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.dep_profile, reasons=["Raison"])
    assert pair.status == PairStatus.PROPOSED and not pair.internal
    pair_accept(pair=pair, actor=cast.dep_agent)
    pair = pair_approve(pair=pair, actor=cast.caf_admin)
    assert pair.status == PairStatus.ACCEPTED  # the Département's administrator has not approved yet
    pair = pair_approve(pair=pair, actor=cast.dep_admin)
    assert pair.status == PairStatus.APPROVED
    today = timezone.localdate()
    pair = pair_schedule(
        pair=pair,
        actor=cast.caf_agent,
        start=today + timedelta(days=7),
        end=today + timedelta(days=8),
        place="Montpellier",
    )
    assert pair.status == PairStatus.SCHEDULED and pair.sequence == 0
    invitations = OutboxEmail.objects.filter(kind="shadowing").exclude(calendar="")
    assert invitations.count() == 2
    event = Calendar.from_ical(invitations.first().calendar).walk("VEVENT")[0]
    assert event["UID"] == f"vis-mon-job-{pair.pk}@{event['UID'].split('@')[1]}"
    # Too early to be done.
    with pytest.raises(OutOfOrder):
        pair_complete(pair=pair, actor=cast.dep_agent)
    pair = pair_complete(pair=pair, actor=cast.dep_agent, today=today + timedelta(days=8))
    assert pair.status == PairStatus.DONE
    ledger = Interaction.objects.get(source=f"shadowing:{pair.pk}")
    assert ledger.kind == InteractionKind.GATHERING
    assert {ledger.from_body_id, ledger.to_body_id} == {cast.caf.pk, cast.dep.pk}
    assert ledger.day == today + timedelta(days=8)
    pair_feedback(pair=pair, actor=cast.caf_agent, text="J'ai compris la PMI.", usefulness=4)
    pair_feedback(pair=pair, actor=cast.dep_agent, text="Instructif.", usefulness=3)
    with pytest.raises(OutOfOrder):
        pair_feedback(pair=pair, actor=cast.dep_agent, text="Encore", usefulness=3)
    done = pairs_completed(since=today, until=today + timedelta(days=30))
    assert [(d["id"], d["structure_a"], d["structure_b"]) for d in done] == [(pair.pk, cast.caf, cast.dep)]
    assert list(PairEvent.objects.filter(pair=pair).values_list("action", flat=True)) == [
        "proposed",
        "accepted",
        "approved",
        "approved",
        "scheduled",
        "done",
        "feedback",
        "feedback",
    ]


def test_the_invitation_is_rfc5545_in_europe_paris_and_a_change_raises_its_sequence(cast):
    pair = _approved(cast)
    start = timezone.localdate() + timedelta(days=10)
    pair_schedule(pair=pair, actor=cast.dep_admin, start=start, end=start + timedelta(days=2), day_start=time(8, 30))
    pair_schedule(pair=pair, actor=cast.caf_agent, start=start, end=start + timedelta(days=1), day_start=time(9, 0))
    pair.refresh_from_db()
    assert pair.sequence == 1
    emails = list(OutboxEmail.objects.exclude(calendar="").order_by("pk"))
    assert len(emails) == 4
    first, last = Calendar.from_ical(emails[0].calendar), Calendar.from_ical(emails[-1].calendar)
    assert first["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in last.walk("VTIMEZONE")] == ["Europe/Paris"]
    ev0, ev1 = first.walk("VEVENT")[0], last.walk("VEVENT")[0]
    assert ev0["UID"] == ev1["UID"] and (ev0["SEQUENCE"], ev1["SEQUENCE"]) == (0, 1)
    assert ev1.decoded("DTSTART").tzinfo.key == "Europe/Paris"
    assert ev1.decoded("DTSTART").hour == 9 and ev1["RRULE"]["COUNT"] == [2]
    # Withdrawing after the dates sends the cancellation: same UID, SEQUENCE + 1, METHOD:CANCEL.
    pair_withdraw(pair=pair, actor=cast.dep_agent, reason="Surcharge de travail")
    cancel = Calendar.from_ical(OutboxEmail.objects.exclude(calendar="").order_by("-pk").first().calendar)
    assert cancel["METHOD"] == "CANCEL"
    assert cancel.walk("VEVENT")[0]["UID"] == ev0["UID"] and cancel.walk("VEVENT")[0]["SEQUENCE"] == 2
    outbox_deliver()
    sent = [m for m in mail.outbox if m.attachments]
    assert sent and all(a[0] == "invitation.ics" for m in sent for a in m.attachments)


def _nothing_changed(pair: Pair, status: str) -> None:
    pair.refresh_from_db()
    assert pair.status == status


def test_bad_input_is_refused_with_a_code_and_changes_nothing(cast, referential):
    with pytest.raises(SelfPairing) as exc:
        pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.caf_profile)
    assert exc.value.code == "binome_avec_soi_meme"
    assert not Pair.objects.exists()
    with pytest.raises(NotOptedIn):
        pair_propose(actor=cast.caf_admin, body=cast.caf, partner=cast.dep_profile)
    pair = pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.dep_profile)
    # Out of order: approving before both agents accepted; the proposer accepting their own proposal.
    with pytest.raises(OutOfOrder) as exc:
        pair_approve(pair=pair, actor=cast.caf_admin)
    assert exc.value.code == "etape_non_permise"
    _nothing_changed(pair, PairStatus.PROPOSED)
    pair_accept(pair=pair, actor=cast.dep_agent)
    # An administrator of a third body cannot approve.
    outsider = referential.agent("cpam:34", "admin", username="vmj-cpam-admin")
    with pytest.raises(NotYourBody) as exc:
        pair_approve(pair=pair, actor=outsider)
    assert exc.value.code == "structure_non_concernee"
    _nothing_changed(pair, PairStatus.ACCEPTED)
    with pytest.raises(OutOfOrder):
        pair_schedule(pair=pair, actor=cast.caf_agent, start=date(2099, 1, 1), end=date(2099, 1, 2))
    pair_approve(pair=pair, actor=cast.caf_admin)
    pair_approve(pair=pair, actor=cast.dep_admin)
    today = timezone.localdate()
    with pytest.raises(DatesInPast) as exc:
        pair_schedule(pair=pair, actor=cast.caf_agent, start=today - timedelta(days=1), end=today)
    assert exc.value.code == "dates_passees"
    with pytest.raises(EndBeforeStart) as exc:
        pair_schedule(pair=pair, actor=cast.caf_agent, start=today + timedelta(days=5), end=today + timedelta(days=4))
    assert exc.value.code == "fin_avant_debut"
    _nothing_changed(pair, PairStatus.APPROVED)
    assert not OutboxEmail.objects.exclude(calendar="").exists()
    with pytest.raises(ReasonRequired):
        pair_withdraw(pair=pair, actor=cast.caf_agent, reason="  ")
    _nothing_changed(pair, PairStatus.APPROVED)


def test_refusals_at_each_step_carry_their_reason(cast):
    first = pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.dep_profile)
    pair_refuse(pair=first, actor=cast.dep_agent, reason="Pas disponible avant l'été")
    first.refresh_from_db()
    assert first.status == PairStatus.REFUSED and first.closed_reason == "Pas disponible avant l'été"
    second = pair_propose(actor=cast.caf_agent, body=cast.caf, partner=cast.dep_profile)
    pair_accept(pair=second, actor=cast.dep_agent)
    pair_refuse(pair=second, actor=cast.dep_admin, reason="Service en sous-effectif")
    second.refresh_from_db()
    assert second.status == PairStatus.REFUSED and second.events.last().action == "rejected"
    with pytest.raises(OutOfOrder):
        pair_accept(pair=second, actor=cast.dep_agent)


def test_an_internal_pair_needs_two_services_and_one_approval(cast, referential):
    dep = cast.dep
    insertion = BodyUnit.objects.create(body=dep, name="Insertion et RSA")
    colleague = referential.agent("departement:34", "agent", username="vmj-dep-2")
    profile = profile_save(user=colleague, body=dep, job="Conseillère insertion", can_show="Le RSA", units=[insertion])
    pair = pair_propose(actor=cast.dep_agent, body=dep, partner=profile)
    assert pair.internal and pair.a_unit.name == "Protection maternelle et infantile"
    pair_accept(pair=pair, actor=colleague)
    pair = pair_approve(pair=pair, actor=cast.dep_admin)
    assert pair.status == PairStatus.APPROVED
    start = timezone.localdate() + timedelta(days=3)
    pair_schedule(pair=pair, actor=colleague, start=start, end=start)
    pair_complete(pair=pair, actor=colleague, today=start)
    row = Interaction.objects.get(source=f"shadowing:{pair.pk}")
    assert row.from_body_id == row.to_body_id == dep.pk and {row.from_unit_id, row.to_unit_id} == {
        insertion.pk,
        pair.a_unit_id,
    }
