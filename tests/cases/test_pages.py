"""Guichet unique pages through Django's test client on the referential subset."""

import re
import uuid
from datetime import date
from html import unescape

import pytest
from django.test import Client

from sanscouture.cases.models import AccessLog, Case, Handover, Note, Outcome, Task
from sanscouture.cases.services import declaration_submit

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
DECLARE = "/declarer/je-demenage/"
QUERY = "?commune=34274" + "".join(f"&choix={c}" for c in MOVE)


def html(response) -> str:  # noqa: ANN001
    return unescape(response.content.decode())


@pytest.fixture
def move(referential):
    case, token = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": "Lefébure", "numero_allocataire": "1234567", "date_naissance": "1990-04-02"},
        consents=[],
        today=date(2026, 6, 1),
    )
    for task in case.tasks.exclude(body__key="epci:200022986"):
        case.consents.create(body=task.body)
    return case, token


def test_the_journey_page_links_to_the_declaration(referential, client):
    page = html(client.get("/moments-de-vie/je-demenage/parcours" + QUERY))
    assert (
        'id="declarer"' in page
        and "/declarer/je-demenage/?commune=Saint-Martin-de-Londres+%2834%29&choix=locataire" in page
    )


def test_a_person_declares_a_move_once_and_gets_the_link_once(referential, client):
    asked = client.get(DECLARE + QUERY)
    assert asked.status_code == 200 and "Commune que vous quittez" in html(asked)
    assert 'hx-get="/communes/suggestions"' in html(asked)
    chosen = client.get(DECLARE, {"arrivee": "34274", "choix": MOVE, "commune": "Savenay"})
    assert chosen.status_code == 302 and "commune_depart=Savenay+%2844%29" in chosen["Location"]
    form = client.get(chosen["Location"])
    page = html(form)
    assert form.status_code == 200 and "Mairie de Savenay" in page and "CAF de l'Hérault" in page
    boxes = re.findall(r'<input type="checkbox" id="id_consentement_(\d+)"[^>]*>', page)
    assert boxes and not any("checked" in b for b in re.findall(r'<input type="checkbox"[^>]*>', page))
    assert "Numéro d'allocataire CAF" in page and "numéro d'allocataire caf" in page  # field + what the CAF sees
    caf = referential.body("caf:34")
    done = client.post(chosen["Location"], {"nom": "Durand", "prenoms": "Ana", f"consentement_{caf.pk}": "on"})
    assert done.status_code == 302, html(done)[:3000]
    case = Case.objects.get()
    assert {c.body.key for c in case.consents.all()} == {"caf:34"}
    assert case.commune_from.insee_code == "44195" and case.tasks.filter(commune_role="depart").exists()
    shown = html(client.get(done["Location"]))
    token = re.search(r"/suivi/([\w-]+)/", shown)[1]
    assert "Conservez ce lien" in shown
    assert "Lien déjà affiché" in html(client.get(done["Location"]))  # shown once
    follow = html(client.get(f"/suivi/{token}/"))
    assert "Durand" in follow and "CAF de l'Hérault" in follow and "Retirer mon consentement" in follow


def test_the_declaration_asks_nothing_the_journey_answered(referential, client):
    journey = html(client.get("/moments-de-vie/je-demenage/parcours" + QUERY + "&commune_depart=Savenay"))
    declare = re.search(r'href="(/declarer/je-demenage/\?[^"]+)"', journey)[1]
    page = html(client.get(declare))
    assert "Commune que vous quittez" not in page  # the journey gave it: commune_depart
    assert "Commune quittée : <strong>Savenay</strong>" in page
    assert "Vous travaillez dans le privé" in page  # the answers, shown once, not asked again
    assert 'name="situation_professionnelle"' not in page
    assert 'name="enfants"' in page and "Enfants qui déménagent avec vous" in page  # "oui": names and dates
    no_child = html(client.get(declare.replace("choix=oui", "choix=non")))
    assert 'name="enfants"' not in no_child
    order = [page.index(f'name="{f}"') for f in ("nom", "date_evenement", "adresse_arrivee", "courriel")]
    assert order == sorted(order)  # who, what happens, then how to reach the person
    assert "Pour : " in page and 'name="consentement_tous"' in page
    done = client.post(declare, {"nom": "Durand", "consentement_tous": "on"})
    assert done.status_code == 302
    case = Case.objects.get()
    assert case.consents.count() == case.tasks.values("body").distinct().count() >= 8
    assert case.data.values["situation_professionnelle"] == "Salarié du secteur privé"


def test_bad_declarations_show_an_error_and_change_nothing(referential, client):
    assert client.get(DECLARE + "?commune=99999").status_code in (400, 404)
    url = DECLARE + QUERY + "&depart=44195"
    assert client.post(url, {"nom": ""}).status_code == 400
    assert client.post(url, {"nom": "X", "courriel": "pas-un-courriel"}).status_code == 400
    assert client.get("/declarer/inconnu/").status_code == 404
    assert not Case.objects.exists()


def test_a_counter_agent_declares_on_behalf_of_the_person(referential, client):
    counter = referential.agent("mairie:44195", role="agent")
    referential.login(client, counter)
    url = DECLARE + QUERY + "&depart=44195"
    assert "Déposer au nom de la personne" in html(client.get(url))
    body = referential.body("mairie:44195")
    assert client.post(url, {"nom": "Durand", "guichet": body.pk}).status_code == 302
    case = Case.objects.get()
    assert case.submitted_by == counter and case.submitted_for_body == body
    assert client.post(url, {"nom": "X", "guichet": referential.body("caf:34").pk}).status_code == 400


def test_the_person_follows_writes_and_withdraws_consent(move, referential, client):
    case, token = move
    caf = referential.body("caf:34")
    assert client.post(f"/suivi/{token}/messages", {"text": "Bonjour"}).status_code == 302
    assert case.messages.get().from_person
    assert client.post(f"/suivi/{token}/consentements/{caf.pk}/retrait").status_code == 302
    assert case.consents.get(body=caf).withdrawn_at is not None
    assert "pas de consentement" in html(client.get(f"/suivi/{token}/"))
    assert client.get("/suivi/faux-jeton/").status_code == 404
    other = referential.body("caf:69")
    assert client.post(f"/suivi/{token}/consentements/{other.pk}/retrait").status_code == 404
    journal = client.get(f"/suivi/{token}/journal/")
    assert journal.status_code == 200 and "retrait du consentement" in html(journal)


def test_agent_task_list_and_filters(move, referential, client):
    agent = referential.agent("caf:34", role="agent")
    referential.login(client, agent)
    page = html(client.get("/taches/"))
    assert move[0].reference in page and "Lefébure" not in page  # no personal data in the list
    assert move[0].reference not in html(client.get("/taches/", {"statut": "done"}))
    assert move[0].reference in html(client.get("/taches/", {"moment_de_vie": "je-demenage", "commune": "34274"}))
    assert move[0].reference not in html(client.get("/taches/", {"echeance_avant": "2026-06-02"}))
    assert client.get("/taches/", {"echeance_avant": "pas-une-date"}).status_code == 400


def test_case_page_scope_fields_notes_and_actions(move, referential, client):
    case, _ = move
    url = f"/dossiers/{case.public_id}/"
    caf_agent = referential.agent("caf:34", role="agent")
    referential.login(client, caf_agent)
    page = html(client.get(url))
    assert "1234567" in page and "Mairie de Savenay" in page  # own fields, every body's task
    task = case.tasks.get(body__key="caf:34")
    dep = referential.body("departement:34")
    assert client.post(f"{url}notes", {"text": "Note CAF"}).status_code == 302
    assert client.post(f"{url}messages", {"text": "Bonjour de la CAF"}).status_code == 302
    assert client.post(f"{url}taches/{task.pk}/statut", {"status": "in_progress"}).status_code == 302
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    assert client.post(f"{url}taches/{task.pk}/orientation", {"structure": dep.pk, "reason": "FSL"}).status_code == 302
    handover = Handover.objects.get()
    pending = html(client.get(url))
    assert "Orientation en attente : proposée à Département de l" in pending  # the sender sees it waiting
    assert f'data-orientation-en-attente="{handover.pk}"' in pending  # and the case's task table too
    assert f'action="{url}taches/{task.pk}/orientation' not in pending  # not offered again while it waits
    other_task = case.tasks.get(body__key="mairie:34274")
    assert client.post(f"{url}taches/{other_task.pk}/statut", {"status": "done"}).status_code == 404
    assert client.get(url + "?structure=999999").status_code == 404
    assert client.get(f"/dossiers/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{url}journal/").status_code == 403  # agent, not admin
    # The département: sees the case to decide, not the CAF's note; accepts.
    dep_agent = referential.agent("departement:34", role="admin")
    other = Client()
    referential.login(other, dep_agent)
    page = html(other.get(url))
    assert "Orientations à décider" in page and "Note CAF" not in page and "Bonjour de la CAF" in page
    decided = other.post(f"{url}orientations/{handover.pk}/decision", {"decision": "accept"})
    assert decided.status_code == 302
    assert Task.objects.get(pk=task.pk).body != dep and case.tasks.filter(body=dep).exists()
    assert Note.objects.count() == 1
    assert "CAF de l" in html(client.get(url))  # the sender is still in the case
    journal = other.get(f"{url}journal/")
    assert journal.status_code == 200 and "consultation du dossier" in html(journal)
    # A body without a task in the case: 404 everywhere.
    stranger = Client()
    referential.login(stranger, referential.agent("caf:69", role="admin"))
    for path in (url, f"{url}journal/"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"{url}notes", {"text": "x"}).status_code == 404
    assert AccessLog.objects.filter(action="lecture", body__key="caf:34").exists()


def test_body_switch_for_an_agent_of_several_bodies(move, referential, client):
    case, _ = move
    from sanscouture.accounts.models import Membership

    agent = referential.agent("caf:34", role="agent")
    Membership.objects.create(user=agent, body=referential.body("mairie:34274"), role="agent")
    referential.login(client, agent)
    mairie = referential.body("mairie:34274")
    page = html(client.get(f"/dossiers/{case.public_id}/?structure={mairie.pk}"))
    assert "Voir le dossier au nom de" in page
    assert "1234567" not in page  # the mairie does not need the CAF number


def test_csrf_is_enforced_on_case_forms(move, referential):
    case, token = move
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/suivi/{token}/messages", {"text": "x"}).status_code == 403
    referential.login(strict, referential.agent("caf:34", role="agent"))
    assert strict.post(f"/dossiers/{case.public_id}/notes", {"text": "x"}).status_code == 403


def test_body_search_for_hand_overs(referential, client):
    referential.login(client, referential.agent("caf:34", role="agent"))
    assert "CAF de l'Hérault" in html(client.get("/structures/recherche", {"q": "caf hérault"}))


def test_when_every_task_is_over_the_person_says_if_it_worked_and_every_body_reads_it(move, referential, client):
    case, token = move
    follow = f"/suivi/{token}/"
    assert 'id="bilan"' not in html(client.get(follow))  # not before every body has finished
    assert client.post(f"{follow}bilan", {"bilan": "yes"}).status_code == 302
    assert not hasattr(case, "outcome") or not Outcome.objects.filter(case=case).exists()
    case.tasks.update(status="done")
    page = html(client.get(follow))
    assert "Est-ce que tout a fonctionné pour vous ?" in page and 'name="bilan"' in page
    assert client.post(f"{follow}bilan", {"bilan": "nope"}).status_code == 302  # refused, nothing stored
    assert not Outcome.objects.filter(case=case).exists()
    sentence = "Tout s'est enchaîné sans que je redise mon adresse."
    assert client.post(f"{follow}bilan", {"bilan": "partly", "phrase": sentence}).status_code == 302
    assert Outcome.objects.get(case=case).rating == "partly"
    assert "Vous avez répondu" in html(client.get(follow))
    assert client.post(f"{follow}bilan", {"bilan": "no"}).status_code == 302  # once
    assert Outcome.objects.get(case=case).rating == "partly"
    agent = referential.agent("cpam:34", role="agent")
    other = Client()
    referential.login(other, agent)
    seen = html(other.get(f"/dossiers/{case.public_id}/"))
    assert "Ce que la personne en dit" in seen and sentence in seen
    assert client.post("/suivi/faux-jeton/bilan", {"bilan": "yes"}).status_code == 404
