"""Opinions on a shared case (issue 11, 3b): asked without handing the task over, answered once by the asked body,
which sees the question and the case's tasks but not the person's data; each is a ledger interaction.

The case is declared through the real guichet unique on real communes (Saint-Martin-de-Londres 34274, Savenay 44195)
of the official referential subset."""

from datetime import date

import pytest
from django.test import Client

from sanscouture.accounts.testing import login_verified
from sanscouture.cases.models import AccessLog, Consent, OpinionRequest, TaskStatus
from sanscouture.cases.services import declaration_submit
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.network.services import interactions_sync
from sanscouture.notifications.models import Notification

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
NAME = "Valeur-Nom-Avis-9K"


@pytest.fixture
def world(referential):
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": NAME, "courriel": "avis@exemple.fr"},
        consents=[],
        today=date(2026, 6, 1),
    )
    for task in case.tasks.all():
        Consent.objects.create(case=case, body_id=task.body_id)
    # The asked body: the CAF of the Côtes-d'Armor, no task in the case; even its consent gives it no data.
    Consent.objects.create(case=case, body=referential.body("caf:22"))
    users = {
        "mairie": referential.agent("mairie:34274", "agent", "avis-mairie"),
        "caf34": referential.agent("caf:34", "agent", "avis-caf34"),
        "caf22": referential.agent("caf:22", "agent", "avis-caf22"),
        "caf22b": referential.agent("caf:22", "agent", "avis-caf22b"),
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        login_verified(clients[role], user)
    task = case.tasks.get(body__key="mairie:34274")
    return {"case": case, "task": task, "c": clients, "ref": referential}


def _post(client, path, payload):
    return client.post(f"/api/v1{path}", payload, content_type="application/json")


def test_ask_and_answer_an_opinion_over_the_api(world):
    c, task, case, ref = world["c"], world["task"], world["case"], world["ref"]
    caf22 = ref.body("caf:22")
    question = {"structure": caf22.pk, "question": "Cette famille relève-t-elle encore de vos prestations ?"}
    # Only an agent of the body working the task asks: another body of the case gets 404 (not its task).
    assert _post(c["caf34"], f"/taches/{task.pk}/avis-demandes", question).status_code == 404
    assert _post(c["mairie"], f"/taches/{task.pk}/avis-demandes", {**question, "question": ""}).status_code == 422
    mine = {"structure": task.body_id, "question": "À moi-même ?"}
    refused = _post(c["mairie"], f"/taches/{task.pk}/avis-demandes", mine)
    assert refused.status_code == 400 and refused.json()["erreur"]["code"] == "transition_invalide"
    assert not OpinionRequest.objects.exists()  # bad input changes nothing

    r = _post(c["mairie"], f"/taches/{task.pk}/avis-demandes", question)
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["statut"], out["vers"]["id"], out["dossier"]) == ("asked", caf22.pk, str(case.public_id))
    task.refresh_from_db()
    assert task.body.key == "mairie:34274" and task.status == TaskStatus.TODO  # the task is not handed over
    assert Notification.objects.filter(body=caf22, kind="opinion").exists()

    # The asked body sees the case to answer, with the question, and none of the person's data; the read is logged.
    page = c["caf22"].get(f"/dossiers/{case.public_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert question["question"].replace("'", "&#x27;") in text and NAME not in text
    log = AccessLog.objects.filter(case_ref=str(case.public_id), body=caf22).latest("at")
    assert log.fields == []
    assert NAME in c["mairie"].get(f"/dossiers/{case.public_id}/").content.decode()  # its own task's data
    listed = c["caf22"].get("/api/v1/avis-demandes").json()
    assert [o["id"] for o in listed] == [out["id"]]
    assert c["caf34"].get("/api/v1/avis-demandes").json() == []  # neither asked nor asking

    # Only the asked body answers; once.
    answer = {"reponse": "Oui : l'allocation logement est versée jusqu'au déménagement."}
    assert _post(c["mairie"], f"/avis-demandes/{out['id']}/reponse", answer).status_code == 404
    assert _post(c["caf34"], f"/avis-demandes/{out['id']}/reponse", answer).status_code == 404
    given = _post(c["caf22"], f"/avis-demandes/{out['id']}/reponse", answer)
    assert given.status_code == 200 and given.json()["statut"] == "given" and given.json()["repondu_le"]
    again = _post(c["caf22b"], f"/avis-demandes/{out['id']}/reponse", answer)
    assert again.status_code == 409 and again.json()["erreur"]["code"] == "avis_deja_donne"
    assert Notification.objects.filter(body=task.body, kind="opinion").exists()
    shown = c["mairie"].get(f"/dossiers/{case.public_id}/").content.decode()
    assert "l&#x27;allocation logement est versée" in shown
    events = list(case.events.values_list("kind", flat=True))
    assert "opinion" in events and "opinion_given" in events

    # The ledger: the question and the answer, from the asking body to the asked one, once.
    interactions_sync()
    assert interactions_sync(full=True) == 0
    asked = Interaction.objects.get(kind=InteractionKind.OPINION)
    answered = Interaction.objects.get(kind=InteractionKind.OPINION_GIVEN)
    assert (asked.from_body.key, asked.to_body.key, asked.case_id) == ("mairie:34274", "caf:22", case.pk)
    assert answered.source == asked.source == f"opinion:{out['id']}" and answered.delay_seconds >= 0


def test_ask_and_answer_on_the_case_page(world):
    c, task, case, ref = world["c"], world["task"], world["case"], world["ref"]
    caf22 = ref.body("caf:22")
    url = f"/dossiers/{case.public_id}/"
    assert 'id="avis-demandes"' in c["mairie"].get(url).content.decode()
    r = c["mairie"].post(f"{url}taches/{task.pk}/avis", {"structure": caf22.pk, "text": "Votre avis ?"})
    assert r.status_code == 302
    opinion = OpinionRequest.objects.get()
    # Not the asked body: 404, nothing changes.
    assert c["caf34"].post(f"{url}avis/{opinion.pk}/reponse", {"text": "Non"}).status_code == 404
    r = c["caf22"].post(f"{url}avis/{opinion.pk}/reponse", {"text": "Voici notre avis."})
    assert r.status_code == 302
    opinion.refresh_from_db()
    assert (opinion.status, opinion.answer) == ("given", "Voici notre avis.")
