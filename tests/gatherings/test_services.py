"""Gatherings (issue 13, item 2): organise for a territory, invite with a calendar file, reply (capacity, waiting list,
promotion), update and cancel as calendar updates, remind, record attendance into the network's ledger."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from sanscouture.errors import DomainError
from sanscouture.gatherings.models import Gathering, Invitation
from sanscouture.gatherings.services import (
    attendance_record,
    gathering_cancel,
    gathering_create,
    gathering_update,
    gatherings_remind,
    invitation_by_token,
    invitation_reply,
    invitation_token,
)
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.notifications.models import OutboxEmail

PARIS = ZoneInfo("Europe/Paris")
CCES = "epci:200072734"  # CC Estuaire et Sillon (Savenay)


@pytest.fixture
def world(referential):
    organiser = referential.agent(CCES, "admin", "org")
    agents = {
        "savenay": referential.agent("mairie:44195", "agent", "savenay"),
        "malville": referential.agent("mairie:44089", "agent", "malville"),
        "caf": referential.agent("caf:44", "agent", "caf44"),
        "dep": referential.agent("departement:44", "agent", "dep44"),
        "brest": referential.agent("mairie:29019", "agent", "brest"),  # outside the territory
    }
    for name, user in [("org", organiser), *agents.items()]:
        user.email = f"{name}@exemple.fr"
        user.save()
    return referential, organiser, agents


def _soon(days=10, hour=12):
    day = (timezone.now() + timedelta(days=days)).astimezone(PARIS).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)


def _create(referential, organiser, **kw):
    start = kw.pop("starts_at", _soon())
    return gathering_create(
        organiser=referential.body(CCES),
        actor=organiser,
        title="Fête des voisins au travail",
        place="Salle des fêtes, Savenay",
        starts_at=start,
        ends_at=kw.pop("ends_at", start + timedelta(hours=2)),
        **kw,
    )


def _ics(email):
    return Calendar.from_ical(email.calendar)


def test_a_gathering_invites_the_agents_of_the_territory_with_a_calendar_file(world):
    referential, organiser, agents = world
    g = _create(referential, organiser, capacity=2)
    invited = {gb.body.key for gb in g.invited.select_related("body")}
    # The intercommunalité, the mairies of its communes, and bodies routing names competent there.
    assert {CCES, "mairie:44195", "mairie:44089", "caf:44", "departement:44"} <= invited
    assert "mairie:29019" not in invited
    users = set(g.invitations.values_list("user__username", flat=True))
    assert users == {"org", "savenay", "malville", "caf44", "dep44"}
    email = OutboxEmail.objects.get(to="savenay@exemple.fr")
    cal = _ics(email)
    assert str(cal["method"]) == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]).startswith(g.uid) and int(event["sequence"]) == 0
    assert event["dtstart"].params["TZID"] == "Europe/Paris" and event.decoded("dtstart").hour == 12
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    # The e-mail carries the private link; the token is stored hashed only.
    inv = g.invitations.get(user__username="savenay")
    token = invitation_token(inv)
    assert f"/rencontres/invitation/{token}/" in email.text_body
    assert token not in inv.token_hash and invitation_by_token(token) == inv


def test_capacity_waiting_list_and_promotion(world):
    referential, organiser, agents = world
    g = _create(referential, organiser, capacity=2)
    inv = {i.user.username: i for i in g.invitations.select_related("user")}
    assert invitation_reply(invitation=inv["savenay"], reply="oui").state == "oui"
    assert invitation_reply(invitation=inv["caf44"], reply="oui").state == "oui"
    waiting = invitation_reply(invitation=inv["dep44"], reply="oui")
    assert waiting.state == "liste_attente"
    assert invitation_reply(invitation=inv["malville"], reply="peut_etre").state == "peut_etre"
    # Savenay declines: the first of the waiting list takes the seat and is told.
    invitation_reply(invitation=inv["savenay"], reply="non")
    assert Invitation.objects.get(pk=inv["dep44"].pk).state == "oui"
    assert OutboxEmail.objects.filter(to="dep@exemple.fr", subject__contains="place s'est libérée").exists()


def test_update_sends_the_same_uid_with_a_higher_sequence_and_cancel_sends_cancel(world):
    referential, organiser, agents = world
    g = _create(referential, organiser)
    first = _ics(OutboxEmail.objects.get(to="caf@exemple.fr")).walk("VEVENT")[0]
    gathering_update(gathering=g, actor=organiser, place="Médiathèque, Savenay")
    update = OutboxEmail.objects.filter(to="caf@exemple.fr").order_by("pk").last()
    event = _ics(update).walk("VEVENT")[0]
    assert event["uid"] == first["uid"] and int(event["sequence"]) == 1 and str(event["location"]).startswith("Médi")
    gathering_cancel(gathering=g, actor=organiser, reason="Salle indisponible")
    cancel = OutboxEmail.objects.filter(to="caf@exemple.fr").order_by("pk").last()
    cal = _ics(cancel)
    assert str(cal["method"]) == "CANCEL"
    assert cal.walk("VEVENT")[0]["uid"] == first["uid"] and int(cal.walk("VEVENT")[0]["sequence"]) == 2
    # Everyone invited gets the update and the cancellation.
    assert OutboxEmail.objects.filter(subject__startswith="Sans Couture : Rencontre annulée").count() == 5


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"starts_at": timezone.now() - timedelta(days=1)}, "date_passee"),
        ({"starts_at": _soon(), "ends_at": _soon() - timedelta(hours=1)}, "fin_avant_debut"),
        ({"capacity": 0}, "rencontre_invalide"),
        ({"territory": "epci:200022986"}, "hors_territoire"),  # another body's intercommunalité
    ],
)
def test_bad_input_changes_nothing(world, change, code):
    referential, organiser, _ = world
    with pytest.raises(DomainError) as exc:
        _create(referential, organiser, **change)
    assert exc.value.code == code
    assert not Gathering.objects.exists() and not OutboxEmail.objects.exists()


def test_only_the_organisers_administrators_act_and_replies_close_at_the_start(world):
    referential, organiser, agents = world
    g = _create(referential, organiser)
    with pytest.raises(DomainError) as exc:
        gathering_update(gathering=g, actor=agents["caf"], place="Ailleurs")
    assert exc.value.code == "rencontre_non_autorisee"
    with pytest.raises(DomainError):
        gathering_cancel(gathering=g, actor=agents["savenay"])
    assert Gathering.objects.get(pk=g.pk).sequence == 0
    inv = g.invitations.get(user=agents["caf"])
    with pytest.raises(DomainError) as exc:
        invitation_reply(invitation=inv, reply="oui", now=g.starts_at + timedelta(minutes=1))
    assert exc.value.code == "rencontre_passee"
    assert Invitation.objects.get(pk=inv.pk).reply == ""
    with pytest.raises(DomainError) as exc:
        attendance_record(gathering=g, actor=organiser, present={inv.pk})
    assert exc.value.code == "rencontre_pas_encore_eu_lieu"


def test_reminder_once_before_the_gathering(world):
    referential, organiser, agents = world
    g = _create(referential, organiser, starts_at=_soon(days=1))
    invitation_reply(invitation=g.invitations.get(user=agents["caf"]), reply="non")
    assert gatherings_remind()["rappels"] == 4  # everyone but the « non »
    assert gatherings_remind()["rappels"] == 0
    assert not OutboxEmail.objects.filter(to="caf@exemple.fr", subject__contains="Rappel").exists()


def test_attendance_writes_gathering_interactions_for_the_network(world):
    referential, organiser, agents = world
    g = _create(referential, organiser)
    inv = {i.user.username: i.pk for i in g.invitations.select_related("user")}
    later = g.starts_at + timedelta(hours=1)
    attendance_record(gathering=g, actor=organiser, present={inv["savenay"], inv["caf44"], inv["org"]}, now=later)
    rows = Interaction.objects.filter(kind=InteractionKind.GATHERING, source=f"gathering:{g.pk}")
    assert {r.to_body.key for r in rows} == {"mairie:44195", "caf:44"}
    assert {r.from_body.key for r in rows} == {CCES}
    # Corrected: the CAF did not come after all; recorded again, nothing doubles.
    attendance_record(gathering=g, actor=organiser, present={inv["savenay"]}, now=later)
    assert [r.to_body.key for r in rows.all()] == ["mairie:44195"]


def _page(user, url):
    from django.test import Client

    from sanscouture.accounts.testing import login_verified

    client = Client(raise_request_exception=False)
    login_verified(client, user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _badge(html, gathering_id):
    row = html.split(f'data-rencontre="{gathering_id}"')[1].split("</tr>")[0]
    return row.split('fr-badge--sm">')[1].split("<")[0] if 'fr-badge--sm">' in row else row


def test_a_past_gathering_reads_passee_then_tenue_once_attendance_is_recorded(world):
    referential, organiser, agents = world
    g = _create(referential, organiser)
    upcoming = _page(organiser, "/rencontres/")
    assert _badge(upcoming.split('id="rencontres-a-venir"')[1], g.pk) == "Prévue"
    ago = timezone.now() - timedelta(days=3)
    Gathering.objects.filter(pk=g.pk).update(starts_at=ago, ends_at=ago + timedelta(hours=2))
    listed = _page(organiser, "/rencontres/").split('id="rencontres-passees"')[1]
    assert _badge(listed, g.pk) == "Passée"
    assert 'id="statut-rencontre">Passée<' in _page(organiser, f"/rencontres/{g.pk}/")
    g.refresh_from_db()
    [inv] = g.invitations.filter(user=agents["savenay"])
    attendance_record(gathering=g, actor=organiser, present={inv.pk}, now=timezone.now())
    assert _badge(_page(organiser, "/rencontres/").split('id="rencontres-passees"')[1], g.pk) == "Tenue"
    assert 'id="statut-rencontre">Tenue<' in _page(organiser, f"/rencontres/{g.pk}/")


def test_the_page_says_the_territory_and_how_many_bodies_are_invited(world):
    referential, organiser, _ = world
    g = _create(referential, organiser)
    n = g.invited.count()
    assert n > 1
    html = _page(organiser, f"/rencontres/{g.pk}/")
    lead = html.split('id="invitation-territoire">')[1].split("</p>")[0]
    assert lead == (
        f"{referential.body(CCES).name} invite les agents des {n} structures du territoire de la CC Estuaire et Sillon."
    )


def test_counts_agree_in_french_zero_and_one_are_singular(world):
    # The effect page of a territory where nothing was measured yet.
    _, _, agents = world
    assert "0 événement mesuré (0 rencontre, 0 vis mon job)" in _page(agents["savenay"], "/rencontres/effet/")
