"""Guichet unique: one declaration, one shared case, a task per competent body, data seen where needed."""

import re
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from sanscouture.cases.errors import (
    ActionRefused,
    CaseNotFound,
    HandoverAlreadyDecided,
    InvalidDeclaration,
    InvalidTransition,
)
from sanscouture.cases.models import AccessLog, Case, CaseEvent, Task, TaskStatus
from sanscouture.cases.selectors import case_view_for_agent, case_view_for_person, tasks_for, visible_fields
from sanscouture.cases.services import (
    case_close,
    cases_purge,
    consent_withdraw,
    declaration_submit,
    handover_decide,
    handovers_remind_and_expire,
    message_send,
    note_add,
    task_hand_over,
    task_status_set,
)

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
VALUES = {
    "nom": "Martin",
    "prenoms": "Léa",
    "date_naissance": "1990-04-02",
    "adresse_depart": "3 rue de la Gare",
    "adresse_arrivee": "12 place de l'Église",
    "date_evenement": "2026-07-01",
    "enfants": "Tom (2018)",
    "numero_allocataire": "1234567",
    "courriel": "lea.martin@example.org",
}


@pytest.fixture
def move(referential):
    """Léa declares her move from Savenay to Saint-Martin-de-Londres, consenting to every body but the EPCI
    of arrival."""
    from sanscouture.journeys.selectors import journey_compute  # noqa: F401  (catalogue loaded by the session)

    case, token = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values=VALUES,
        consents=[],
        today=date(2026, 6, 1),
    )
    bodies = {t.body.key for t in case.tasks.all()}
    consents = [t.body_id for t in case.tasks.all() if t.body.key != "epci:200022986"]
    for body_id in consents:
        case.consents.create(body_id=body_id)
    return case, token, bodies


def keys(case, role=None):
    return {t.body.key for t in case.tasks.select_related("body") if role is None or t.commune_role == role}


def test_one_declaration_opens_one_case_with_a_task_for_each_body_of_both_communes(move):
    case, token, _ = move
    arrival, departure = keys(case, "arrivee"), keys(case, "depart")
    assert {"mairie:34274", "caf:34", "cpam:34", "epci:200022986", "departement:34"} <= arrival
    assert {"mairie:44195", "caf:44", "epci:200072734"} <= departure
    assert Case.objects.count() == 1 and case.tasks.count() == len(arrival | departure)
    assert all(t.due_date > date(2026, 6, 1) for t in case.tasks.all())
    assert CaseEvent.objects.filter(case=case, kind="declaration").exists()
    assert len(token) > 30 and token not in case.person_token_hash


def test_task_titles_say_what_each_body_does_and_differ(move):
    case, _, _ = move
    titles = {t.body.key: t.title for t in case.tasks.select_related("body")}
    assert len(set(titles.values())) == len(titles)  # no two tasks of the case look alike
    assert "Je déménage" not in titles.values()
    assert titles["mairie:44195"].startswith("Départ vers Saint-Martin-de-Londres : ")
    assert all(len(t) <= 160 for t in titles.values())
    assert not any(re.match(r"\d+\.", t) for t in titles.values())  # step numbers left out


def test_each_body_sees_only_the_fields_its_open_tasks_need_and_every_read_is_audited(move, referential):
    case, _, _ = move
    caf = referential.agent("caf:34", role="agent")
    view = case_view_for_agent(user=caf, public_id=str(case.public_id))
    assert view.data["numero_allocataire"][1] == "1234567" and "courriel" not in view.data
    log = AccessLog.objects.filter(case_ref=str(case.public_id), user=caf).get()
    assert log.action == "lecture" and "numero_allocataire" in log.fields and log.body.key == "caf:34"
    epci = referential.agent("epci:200022986", role="agent")
    # No consent to the arrival EPCI: it sees the case and its task, but no personal field.
    assert case_view_for_agent(user=epci, public_id=str(case.public_id)).data == {}
    mairie = referential.agent("mairie:34274", role="agent")
    seen = case_view_for_agent(user=mairie, public_id=str(case.public_id)).data
    assert "date_naissance" in seen and "numero_allocataire" not in seen


def test_an_agent_of_a_body_without_a_task_gets_a_404(move, referential):
    case, _, _ = move
    stranger = referential.agent("caf:69", role="admin")
    with pytest.raises(CaseNotFound):
        case_view_for_agent(user=stranger, public_id=str(case.public_id))
    assert not tasks_for(user=stranger).exists()


def test_withdrawn_consent_cuts_access_at_once_and_the_work_stays(move, referential):
    case, _, _ = move
    caf = referential.agent("caf:34", role="agent")
    task = case.tasks.get(body__key="caf:34")
    task_status_set(task=task, status=TaskStatus.IN_PROGRESS, actor=caf)
    consent_withdraw(case=case, body=task.body)
    assert visible_fields(case, task.body) == ()
    assert case_view_for_agent(user=caf, public_id=str(case.public_id)).data == {}
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


def test_a_done_task_no_longer_opens_the_data(move, referential):
    case, _, _ = move
    agent = referential.agent("cpam:34", role="agent")
    task = case.tasks.get(body__key="cpam:34")
    assert visible_fields(case, task.body)
    task_status_set(task=task, status=TaskStatus.DONE, actor=agent)
    assert visible_fields(case, task.body) == ()


def test_hand_over_from_the_caf_to_the_departement_accepted_once(move, referential):
    case, _, _ = move
    caf, dep = referential.agent("caf:34", role="agent"), referential.agent("departement:34", role="agent")
    task = case.tasks.get(body__key="caf:34")
    handover = task_hand_over(
        task=task, to_body=referential.body("departement:34"), reason="Relève du FSL départemental", actor=caf
    )
    with pytest.raises(ActionRefused):  # only the receiving body decides
        handover_decide(handover=handover, accept=True, actor=caf)
    handover_decide(handover=handover, accept=True, actor=dep)
    sender = Task.objects.get(pk=task.pk)
    # The whole task handed over: the sender's task stays in the case, closed as "orientée", the steps moved.
    assert sender.body.key == "caf:34" and sender.status == TaskStatus.NOT_APPLICABLE
    assert "Orientée vers" in sender.status_reason
    theirs = case.tasks.get(body__key="departement:34", commune_role=task.commune_role)
    assert set(task.steps) <= set(theirs.steps) and theirs.status == TaskStatus.TODO
    with pytest.raises(HandoverAlreadyDecided):
        handover_decide(handover=handover, accept=False, refusal_reason="other", reason="trop tard", actor=dep)


def test_a_partial_hand_over_keeps_the_sender_and_its_other_steps(move, referential):
    case, _, _ = move
    mayor = referential.agent("mairie:34274", role="agent")
    task = case.tasks.get(body__key="mairie:34274")
    assert len(task.steps) >= 2
    first, rest = task.steps[0], task.steps[1:]
    handover = task_hand_over(
        task=task, to_body=referential.body("caf:34"), reason="Aides : la CAF", steps=[first], actor=mayor
    )
    with pytest.raises(InvalidTransition):  # one pending orientation at a time
        task_hand_over(task=task, to_body=referential.body("caf:34"), reason="encore", actor=mayor)
    with pytest.raises(InvalidTransition):
        task_hand_over(task=task, to_body=referential.body("caf:34"), reason="x", steps=["99. Inventée"], actor=mayor)
    handover_decide(handover=handover, accept=True, actor=referential.agent("caf:34", role="agent"))
    mine = Task.objects.get(pk=task.pk)
    assert mine.body.key == "mairie:34274" and mine.steps == rest and mine.status == TaskStatus.TODO
    caf_task = case.tasks.get(body__key="caf:34", commune_role="arrivee")
    assert first in caf_task.steps
    assert CaseEvent.objects.filter(case=case, kind="handover_decision", text__contains="une partie").exists()


def test_refusal_needs_a_structured_reason_and_keeps_the_task(move, referential):
    case, _, _ = move
    caf, dep = referential.agent("caf:34", role="agent"), referential.agent("departement:34", role="agent")
    task = case.tasks.get(body__key="caf:34")
    handover = task_hand_over(task=task, to_body=referential.body("departement:34"), reason="À voir", actor=caf)
    with pytest.raises(InvalidTransition):
        handover_decide(handover=handover, accept=False, actor=dep)
    with pytest.raises(InvalidTransition):  # "other" needs words
        handover_decide(handover=handover, accept=False, refusal_reason="other", actor=dep)
    handover_decide(handover=handover, accept=False, refusal_reason="not_competent", reason="FSL : non", actor=dep)
    assert Task.objects.get(pk=task.pk).body.key == "caf:34"
    event = CaseEvent.objects.filter(case=case, kind="handover_decision").last()
    assert "qui la garde." in event.text and "FSL" not in event.text  # not visible to the person: not said


def test_the_person_reads_a_refusal_reason_only_when_the_body_allows_it(move, referential):
    case, _, _ = move
    caf, dep = referential.agent("caf:34", role="agent"), referential.agent("departement:34", role="agent")
    task = case.tasks.get(body__key="caf:34")
    handover = task_hand_over(task=task, to_body=referential.body("departement:34"), reason="À voir", actor=caf)
    handover_decide(
        handover=handover, accept=False, refusal_reason="out_of_territory", reason_visible_to_person=True, actor=dep
    )
    event = CaseEvent.objects.filter(case=case, kind="handover_decision").last()
    assert "ne relève pas de notre territoire" in event.text


def test_unanswered_hand_overs_remind_once_then_expire(move, referential):
    case, _, _ = move
    caf = referential.agent("caf:34", role="agent")
    task = case.tasks.get(body__key="caf:34")
    handover = task_hand_over(task=task, to_body=referential.body("departement:34"), reason="À voir", actor=caf)
    now = timezone.now()
    assert handovers_remind_and_expire(remind_after_days=3, expire_after_days=10, now=now).reminded == 0
    later = now + timedelta(days=4)
    assert handovers_remind_and_expire(remind_after_days=3, expire_after_days=10, now=later).reminded == 1
    assert handovers_remind_and_expire(remind_after_days=3, expire_after_days=10, now=later).reminded == 0  # once
    report = handovers_remind_and_expire(remind_after_days=3, expire_after_days=10, now=now + timedelta(days=11))
    assert report.expired == 1
    handover.refresh_from_db()
    assert handover.status == "expired" and Task.objects.get(pk=task.pk).body.key == "caf:34"
    # The sender may hand it over again.
    task_hand_over(task=task, to_body=referential.body("departement:34"), reason="Relance", actor=caf)


def test_status_changes_need_membership_and_a_reason_for_sans_objet(move, referential):
    case, _, _ = move
    task = case.tasks.get(body__key="mairie:34274")
    with pytest.raises(ActionRefused):
        task_status_set(task=task, status=TaskStatus.DONE, actor=referential.agent("caf:34"))
    mayor = referential.agent("mairie:34274", role="agent")
    with pytest.raises(InvalidTransition):
        task_status_set(task=task, status=TaskStatus.NOT_APPLICABLE, actor=mayor)
    task_status_set(task=task, status=TaskStatus.NOT_APPLICABLE, reason="Déjà inscrite", actor=mayor)
    with pytest.raises(InvalidTransition):
        task_status_set(task=task, status=TaskStatus.DONE, actor=mayor)


def test_notes_stay_inside_the_body_messages_are_shared(move, referential):
    case, token, _ = move
    caf, mairie = referential.agent("caf:34", role="agent"), referential.agent("mairie:34274", role="agent")
    note_add(case=case, body=referential.body("caf:34"), text="Vérifier le RIB", actor=caf)
    message_send(case=case, body=referential.body("caf:34"), text="Bonjour, votre dossier est transféré.", actor=caf)
    assert [n.text for n in case_view_for_agent(user=caf, public_id=str(case.public_id)).notes] == ["Vérifier le RIB"]
    view = case_view_for_agent(user=mairie, public_id=str(case.public_id))
    assert view.notes == [] and [m.text for m in view.messages] == ["Bonjour, votre dossier est transféré."]
    person = case_view_for_person(token)
    assert [m.text for m in person.messages] == ["Bonjour, votre dossier est transféré."]
    assert person.data["nom"][1] == "Martin"


def test_the_person_follows_the_case_with_the_private_link_only(move):
    _, token, _ = move
    view = case_view_for_person(token)
    assert len(view.tasks) >= 6 and any("Déclaration" in e.text for e in view.events)
    with pytest.raises(CaseNotFound):
        case_view_for_person("pas-le-bon-lien")
    assert AccessLog.objects.filter(by_person=True, action="lecture").exists()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"values": {"nom": "", "prenoms": "X"}}, InvalidDeclaration),
        ({"values": {"nom": "X", "nir": "1 90 04 75 123 456"}}, InvalidDeclaration),
        ({"consents": [999999]}, InvalidDeclaration),
        ({"commune_from": "34274"}, InvalidDeclaration),
    ],
)
def test_bad_declarations_change_nothing(referential, kwargs, error):
    args = {
        "life_event": "je-demenage",
        "choices": MOVE,
        "commune": "34274",
        "values": {"nom": "X"},
        "consents": [],
    } | kwargs
    with pytest.raises(error):
        declaration_submit(**args)
    assert not Case.objects.exists() and not AccessLog.objects.exists()


def test_an_agent_may_declare_on_behalf_of_the_person_only_for_their_body(referential):
    counter = referential.agent("mairie:44195", role="agent")
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": "Durand"},
        consents=[],
        actor=counter,
        on_behalf_body=referential.body("mairie:44195"),
    )
    assert case.submitted_by == counter and "au guichet" in case.events.first().text
    with pytest.raises(ActionRefused):
        declaration_submit(
            life_event="je-demenage",
            choices=MOVE,
            commune="34274",
            values={"nom": "X"},
            consents=[],
            actor=counter,
            on_behalf_body=referential.body("caf:34"),
        )


def test_closed_cases_are_purged_after_the_delay_and_the_journal_is_append_only(move, referential):
    case, token, _ = move
    for task in case.tasks.all():
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)
    case_close(case=case)
    assert cases_purge(older_than_days=365) == 0
    assert cases_purge(older_than_days=365, now=timezone.now() + timedelta(days=366)) == 1
    case.refresh_from_db()
    assert case.data.values == {} and case.purged_at
    assert case_view_for_person(token).data == {}
    log = AccessLog.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log.pk).update(purpose="effacé")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log.pk).delete()
