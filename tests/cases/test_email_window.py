"""A person's declaration and messages e-mail each body of the case at most once within the window (issue 7,
finding 3): a flood of writes on one case cannot become a flood of e-mails; in-app notifications say everything."""

from datetime import timedelta
from unittest import mock

from django.utils import timezone

from sanscouture.accounts.services import agent_create
from sanscouture.cases.services import declaration_submit, message_send
from sanscouture.notifications.models import Notification, OutboxEmail

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


def test_the_person_e_mails_each_body_once_per_case_within_the_window(referential):
    for key in ("caf:34", "mairie:34274"):
        for i in range(2):
            agent_create(
                username=f"courriel-{key}-{i}",
                email=f"agent{i}@{key.replace(':', '-')}.example",
                password=None,
                body=referential.body(key),
            )
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values={"nom": "TEST"},
        consents=[],
    )
    tasks_per_body = {}
    for task in case.tasks.select_related("body"):
        tasks_per_body[task.body.key] = tasks_per_body.get(task.body.key, 0) + 1
    assert tasks_per_body["mairie:34274"] >= 1 and tasks_per_body["caf:34"] >= 1

    def emails(key: str) -> int:
        return OutboxEmail.objects.filter(to__endswith=f"@{key.replace(':', '-')}.example").count()

    assert emails("caf:34") == 2 and emails("mairie:34274") == 2  # one per agent, whatever the number of tasks
    for _ in range(5):
        message_send(case=case, text="Encore moi", from_person=True)
    assert emails("caf:34") == 2 and emails("mairie:34274") == 2
    assert Notification.objects.filter(recipient__username="courriel-caf:34-0", kind="message").count() == 5
    # After the window, the person's next message e-mails again, once.
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        message_send(case=case, text="Deux heures après", from_person=True)
        message_send(case=case, text="Et encore", from_person=True)
    assert emails("caf:34") == 4 and emails("mairie:34274") == 4
