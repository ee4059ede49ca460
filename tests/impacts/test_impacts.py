"""Issue 11: declare an action, compute its effects through routing and the open cases, notify every affected body
and take their answers. The world is the issue's own: the Région Occitanie changes the school-bus timetable in the
communes of the CC du Grand Pic Saint-Loup (real referential subset, tests/fixtures)."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sanscouture.accounts.testing import login_verified
from sanscouture.cases.services import declaration_submit
from sanscouture.errors import DomainError
from sanscouture.impacts.models import Action, Exchange, Notice
from sanscouture.impacts.selectors import affected_cases, exchanges_between, impacts_compute
from sanscouture.impacts.services import action_declare, action_publish, notice_answer, notices_remind
from sanscouture.notifications.models import Notification, OutboxEmail

PIC = "epci:200022986"  # CC du Grand Pic Saint-Loup, 36 communes
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
START, END = date(2026, 9, 1), date(2027, 7, 6)


@pytest.fixture
def region(referential):
    return referential.agent("region:76", "admin", "region-admin")


def _declare(referential, actor, **over):
    args = {
        "actor": actor,
        "body": referential.body("region:76"),
        "kind": "service",
        "title": "Nouveaux horaires des cars scolaires",
        "start": START,
        "end": END,
        "communes": [],
        "territory": PIC,
        "competences": ["transport-scolaire"],
    }
    return action_declare(**(args | over))


def test_the_region_school_bus_change_reaches_communes_cc_and_departement(referential, region):
    action = _declare(referential, region)
    assert action.status == "brouillon" and action.communes.count() == 36
    impacts = impacts_compute(action=action)
    by_key = {a.body.key: a for a in impacts.bodies}
    assert "region:76" not in by_key  # the declarant is not notified of itself
    assert {"departement:34", "epci:200022986", "mairie:34274"} <= set(by_key)
    assert len([k for k in by_key if k.startswith("mairie:")]) == 36
    dep = by_key["departement:34"]
    assert len(dep.communes) == 36
    [reason] = dep.reasons("Région Occitanie")
    assert reason.startswith("transport scolaire (Région Occitanie) → collèges (Département de l'Hérault) dans 36")
    mairie = by_key["mairie:34274"].reasons("Région Occitanie")
    assert any("écoles" in r and "Saint-Martin-de-Londres" in r for r in mairie)
    assert impacts.clashes == []


def test_publication_sends_one_notice_per_body_through_the_outbox_and_the_ledger(referential, region):
    mairie_agent = referential.agent("mairie:34274", "agent", "mairie-agent")
    mairie_agent.email = "agent.mairie@exemple.fr"
    mairie_agent.save()
    action = action_publish(actor=region, action=_declare(referential, region))
    assert action.status == "publiee"
    notices = Notice.objects.filter(action=action)
    assert notices.count() == 38  # 36 mairies, the CC, the département
    notice = notices.get(body__key="mairie:34274")
    assert notice.due_on == timezone.localdate() + timedelta(days=9)
    assert Notification.objects.filter(recipient=mairie_agent, kind="notice", url=f"/avis/{notice.pk}/").exists()
    assert OutboxEmail.objects.filter(to="agent.mairie@exemple.fr").count() == 1
    region_body, mairie = referential.body("region:76"), referential.body("mairie:34274")
    ledger = list(exchanges_between(body_a=mairie, body_b=region_body))
    assert [(e.kind, e.from_body_id) for e in ledger] == [("avis", region_body.pk)]
    # Answers: one takes it into account, one proposes an adaptation; each is a receipt and an exchange back.
    answered = notice_answer(actor=mairie_agent, notice=notice, answer="pris_en_compte")
    assert answered.receipt.startswith(f"AR-{action.pk}-{notice.pk}-")
    dep_agent = referential.agent("departement:34", "agent", "dep-agent")
    dep_notice = notices.get(body__key="departement:34")
    notice_answer(actor=dep_agent, notice=dep_notice, answer="adaptation", text="Décaler de 10 minutes pour le collège")
    assert Exchange.objects.filter(kind="reponse").count() == 2
    assert [e.kind for e in exchanges_between(body_a=mairie, body_b=region_body)] == ["avis", "reponse"]
    assert Notification.objects.filter(recipient=region, kind="notice", title__startswith="Réponse de").count() == 2


def test_open_move_cases_in_those_communes_are_counted(referential, region):
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": "X"},
        consents=[],
        today=date(2026, 6, 1),
    )
    elsewhere, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="22278",
        commune_from="29019",
        values={"nom": "Y"},
        consents=[],
        today=date(2026, 6, 1),
    )
    action = _declare(referential, region)
    impacts = impacts_compute(action=action)
    bodies = [a.body.id for a in impacts.bodies]
    commune_ids = list(action.communes.values_list("pk", flat=True))
    assert list(affected_cases(action=action, body_ids=bodies, commune_ids=commune_ids)) == [case]
    assert impacts.open_cases == 1
    case.tasks.update(status="done")
    assert impacts_compute(action=_declare(referential, region)).open_cases == 0
    del elsewhere


def test_clash_on_a_dependent_competence_in_the_same_communes_and_dates(referential, region):
    mairie_admin = referential.agent("mairie:34274", "admin", "mairie-admin")
    works = action_declare(
        actor=mairie_admin,
        body=referential.body("mairie:34274"),
        kind="travaux_voirie",
        title="Réfection de la Grand-Rue",
        start=date(2026, 9, 10),
        end=date(2026, 9, 20),
        communes=["34274"],
        competences=["voirie-communale"],
    )
    action_publish(actor=mairie_admin, action=works)
    bus = _declare(referential, region)
    assert [c.pk for c in impacts_compute(action=bus).clashes] == [works.pk]
    action_publish(actor=region, action=bus)
    assert Exchange.objects.filter(kind="conflit").count() == 2


def test_an_agent_publication_waits_for_the_administrator(referential, region):
    agent = referential.agent("region:76", "agent", "region-agent")
    action = action_publish(actor=agent, action=_declare(referential, agent))
    assert action.status == "a_valider" and not Notice.objects.exists()
    assert action_publish(actor=region, action=action).status == "publiee"


def test_a_body_that_does_not_require_validation_lets_its_agents_publish(referential, region):
    body = referential.body("region:76")
    agent = referential.agent("region:76", "agent", "region-agent-libre")
    # The body's administrator turns validation off on the body's agents page; its agent cannot (404).
    clients = {}
    for name, user in (("admin", region), ("agent", agent)):
        clients[name] = Client(raise_request_exception=False)
        login_verified(clients[name], user)
    url = f"/structures/{body.pk}/validation-actions"
    assert clients["agent"].post(url, {"validation": "non"}).status_code == 404
    body.refresh_from_db()
    assert body.actions_need_validation
    assert 'id="validation-actions"' in clients["admin"].get(f"/structures/{body.pk}/agents/").content.decode()
    assert clients["admin"].post(url, {"validation": "non"}).status_code == 302
    body.refresh_from_db()
    assert not body.actions_need_validation
    action = action_publish(actor=agent, action=_declare(referential, agent))
    assert action.status == "publiee" and Notice.objects.filter(action=action).exists()
    # Another body's agent is still refused: the switch opens publication to the body's own agents only.
    other = referential.agent("mairie:34274", "agent", "mairie-agent-libre")
    with pytest.raises(DomainError):
        action_publish(actor=other, action=_declare(referential, agent, title="Autre action"))


def test_reminders_then_sans_reponse_once(referential, region):
    action = action_publish(actor=region, action=_declare(referential, region))
    due = Notice.objects.filter(action=action).first().due_on
    assert notices_remind(today=due - timedelta(days=1))["rappels"] == 38
    assert notices_remind(today=due - timedelta(days=1))["rappels"] == 0
    assert notices_remind(today=due + timedelta(days=1))["sans_reponse"] == 38
    assert notices_remind(today=due + timedelta(days=2))["sans_reponse"] == 0


# --- The API: contract names, bad input changes nothing ------------------------------------------------------------


def _client(referential, user) -> Client:
    c = Client()
    referential.login(c, user)
    return c


def _payload(referential, **over):
    return {
        "structure": referential.body("region:76").pk,
        "type": "service",
        "titre": "Nouveaux horaires des cars scolaires",
        "debut": "2026-09-01",
        "fin": "2027-07-06",
        "territoire": PIC,
        "competences": ["transport-scolaire"],
        **over,
    }


def test_api_declare_preview_publish_answer(referential, region):
    c = _client(referential, region)
    r = c.post("/api/v1/actions", _payload(referential), content_type="application/json")
    assert r.status_code == 201, r.content
    action_id = r.json()["id"]
    assert r.json()["statut"] == "brouillon"
    impacts = c.get(f"/api/v1/actions/{action_id}/impacts").json()
    dep = next(s for s in impacts["structures"] if s["cle"] == "departement:34")
    assert dep["id"] and dep["nom"] == "Département de l'Hérault" and len(dep["communes"]) == 36 and dep["raisons"]
    assert impacts["dossiers_ouverts"] == 0 and impacts["conflits"] == []
    assert c.post(f"/api/v1/actions/{action_id}/publication").json()["statut"] == "publiee"
    mairie = _client(referential, referential.agent("mairie:34274", "agent", "m-agent"))
    [avis] = mairie.get("/api/v1/avis").json()
    r = mairie.post(
        f"/api/v1/avis/{avis['id']}/reponse",
        {"reponse": "adaptation", "texte": "Garderie à 7 h 30"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["accuse_reception"] and r.json()["etat"] == "Adaptation proposée"
    public = Client().get("/api/v1/communes/34274/actions").json()
    assert [a["id"] for a in public] == [action_id]
    assert Client().get("/api/v1/communes/22278/actions").json() == []


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"debut": "2026-09-10", "fin": "2026-09-01"}, 400, "periode_invalide"),
        ({"territoire": None, "communes": ["22278"]}, 403, "hors_territoire"),  # Saint-Brieuc: Région Bretagne's
        ({"competences": ["pas-une-competence"]}, 400, "objet_inconnu"),
        ({"pivots": ["pas_un_guichet"]}, 400, "objet_inconnu"),
        ({"territoire": "epci:999999999"}, 400, "territoire_inconnu"),
        ({"territoire": None, "communes": ["99999"]}, 400, "territoire_inconnu"),
        ({"type": "fete"}, 400, "action_invalide"),
    ],
)
def test_api_bad_input_is_a_clear_error_that_changes_nothing(referential, region, over, status, code):
    r = _client(referential, region).post(
        "/api/v1/actions", _payload(referential, **over), content_type="application/json"
    )
    assert (r.status_code, r.json()["erreur"]["code"]) == (status, code)
    assert r.json()["erreur"]["message"]
    assert not Action.objects.exists()


def test_api_answers_to_another_body_and_after_the_deadline(referential, region):
    action = action_publish(actor=region, action=_declare(referential, region))
    notice = Notice.objects.get(action=action, body__key="mairie:34274")
    other = _client(referential, referential.agent("mairie:34247", "agent", "other-mairie"))
    r = other.post(f"/api/v1/avis/{notice.pk}/reponse", {"reponse": "non_concerne"}, content_type="application/json")
    assert r.status_code == 404  # another body's notice is not even visible
    r = _client(referential, region).post(
        f"/api/v1/avis/{notice.pk}/reponse", {"reponse": "non_concerne"}, content_type="application/json"
    )
    assert (r.status_code, r.json()["erreur"]["code"]) == (403, "non_autorise")  # the declarant sees, never answers
    mairie = _client(referential, referential.agent("mairie:34274", "agent", "m2"))
    url = f"/api/v1/avis/{notice.pk}/reponse"
    assert mairie.post(url, {"reponse": "objection"}, content_type="application/json").status_code == 400
    assert mairie.post(url, {"reponse": "non_concerne"}, content_type="application/json").status_code == 200
    Notice.objects.filter(pk=notice.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    r = mairie.post(url, {"reponse": "objection", "texte": "Trop tard ?"}, content_type="application/json")
    assert (r.status_code, r.json()["erreur"]["code"]) == (409, "reponse_close")
    notice.refresh_from_db()
    assert notice.answer == "non_concerne"


def test_the_reminder_job_runs_by_name(referential, region):
    from sanscouture.notifications.periodic import run_periodic_job

    action_publish(actor=region, action=_declare(referential, region))
    assert run_periodic_job.call("sanscouture.impacts.jobs.remind") == {"rappels": 0, "sans_reponse": 0}
