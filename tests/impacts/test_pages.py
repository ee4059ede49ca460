"""Issue 11's pages, feeds and the places other apps show notices (journey page, shared case)."""

from datetime import date

import icalendar
from django.test import Client

from sanscouture.cases.services import declaration_submit
from sanscouture.impacts.models import Action, Notice

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


def _form(referential, **over):
    return {
        "body": referential.body("region:76").pk,
        "kind": "service",
        "title": "Nouveaux horaires des cars scolaires",
        "description": "Les cars partent dix minutes plus tôt.",
        "start": "2026-09-01",
        "end": "2027-07-06",
        "communes": "",
        "territory": "epci:200022986",
        "competences": ["transport-scolaire"],
        "cause": "OTHER_CAUSE",
        "effect": "MODIFIED_SERVICE",
        "severity": "INFO",
        "contact": "Service des transports scolaires",
        **over,
    }


def test_declare_preview_publish_answer_and_dashboard(referential):
    region = Client()
    referential.login(region, referential.agent("region:76", "admin", "region-admin"))
    assert region.get("/actions/nouvelle").status_code == 200
    r = region.post("/actions/nouvelle", _form(referential))
    assert r.status_code == 302, r.content.decode()[-2000:]
    action = Action.objects.get()
    page = region.get(r["Location"]).content.decode()
    assert 'data-structure="departement:34"' in page and "collèges" in page and 'id="publier"' in page
    assert region.post(f"/actions/{action.pk}/publication").status_code == 302
    action.refresh_from_db()
    assert action.status == "publiee" and action.notices.count() == 38
    mairie = Client()
    referential.login(mairie, referential.agent("mairie:34274", "agent", "mairie-agent"))
    notice = Notice.objects.get(body__key="mairie:34274")
    assert f'data-avis="{notice.pk}"' in mairie.get("/avis/").content.decode()
    r = mairie.post(f"/avis/{notice.pk}/", {"answer": "adaptation", "text": ""})
    assert r.status_code == 400 and "écrivez votre texte" in r.content.decode()
    r = mairie.post(f"/avis/{notice.pk}/", {"answer": "adaptation", "text": "Garderie ouverte à 7 h 20"})
    assert r.status_code == 302
    dashboard = region.get("/actions/").content.decode()
    assert f'data-action="{action.pk}"' in dashboard
    detail = region.get(f"/actions/{action.pk}/").content.decode()
    assert "Garderie ouverte à 7 h 20" in detail and "Adaptation proposée" in detail


def test_bad_input_in_the_form_is_said_and_changes_nothing(referential):
    region = Client()
    referential.login(region, referential.agent("region:76", "admin", "region-admin"))
    r = region.post("/actions/nouvelle", _form(referential, start="2026-09-10", end="2026-09-01"))
    assert r.status_code == 400 and "précède le début" in r.content.decode()
    r = region.post("/actions/nouvelle", _form(referential, territory="", communes="22278"))
    assert r.status_code == 403 and "22278" in r.content.decode()
    assert not Action.objects.exists()


def _published(referential) -> Action:
    from sanscouture.impacts.services import action_declare, action_publish

    admin = referential.agent("region:76", "admin", "region-admin")
    action = action_declare(
        actor=admin,
        body=referential.body("region:76"),
        kind="service",
        title="Nouveaux horaires des cars scolaires",
        start=date(2026, 9, 1),
        end=date(2027, 7, 6),
        communes=[],
        territory="epci:200022986",
        competences=["transport-scolaire"],
    )
    return action_publish(actor=admin, action=action)


def test_the_journey_page_shows_the_notice_during_the_period_only(referential):
    _published(referential)
    url = "/moments-de-vie/je-demenage/parcours"
    query = {"commune": "34274", "choix": MOVE}
    during = Client().get(url, {**query, "date": "2026-09-15"}).content.decode()
    assert 'id="avis-en-cours"' in during and "Nouveaux horaires des cars scolaires" in during
    before = Client().get(url, {**query, "date": "2026-06-15"}).content.decode()
    assert "Nouveaux horaires des cars scolaires" not in before


def test_the_open_move_case_shows_the_action_to_its_agents(referential):
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": "X"},
        consents=[],
        today=date(2026, 6, 1),
    )
    action = _published(referential)
    mairie = Client()
    referential.login(mairie, referential.agent("mairie:34274", "agent", "mairie-agent"))
    page = mairie.get(f"/dossiers/{case.public_id}/").content.decode()
    assert 'id="avis-dossier"' in page and f'data-action="{action.pk}"' in page


def test_atom_and_icalendar_feeds_per_commune_and_epci(referential):
    action = _published(referential)
    atom = Client().get("/flux/communes/34274/actions.atom")
    assert atom.status_code == 200 and "application/atom+xml" in atom["Content-Type"]
    assert "Nouveaux horaires des cars scolaires" in atom.content.decode()
    assert "Nouveaux horaires" in Client().get("/flux/epci/200022986/actions.atom").content.decode()
    assert "Nouveaux horaires" not in Client().get("/flux/communes/22278/actions.atom").content.decode()
    ics = Client().get("/flux/epci/200022986/actions.ics")
    cal = icalendar.Calendar.from_ical(ics.content)
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]) == action.title
    assert event.decoded("dtstart") == date(2026, 9, 1) and event.decoded("dtend") == date(2027, 7, 7)
    assert Client().get("/flux/communes/99999/actions.ics").status_code == 404


def test_a_correction_sends_the_notices_again_with_what_changed(referential):
    action = _published(referential)
    notice = Notice.objects.get(action=action, body__key="mairie:34274")
    mairie_agent = referential.agent("mairie:34274", "agent", "mairie-agent")
    from sanscouture.impacts.services import notice_answer

    notice_answer(actor=mairie_agent, notice=notice, answer="pris_en_compte")
    region = Client()
    referential.login(region, referential.body("region:76").memberships.first().user)
    r = region.post(
        f"/actions/{action.pk}/correction", {"changes": "Début repoussé au 8 septembre", "start": "2026-09-08"}
    )
    assert r.status_code == 302
    action.refresh_from_db()
    notice.refresh_from_db()
    assert (action.status, action.version, action.start) == ("corrigee", 2, date(2026, 9, 8))
    assert notice.version == 2 and notice.answer == ""  # the answer is asked again
    assert notice.exchanges.filter(kind="avis_corrige", text__contains="repoussé").exists()
