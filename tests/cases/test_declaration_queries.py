"""A declaration costs a bounded number of SQL queries whatever the number of bodies it reaches (issue 16, item 1):
tasks, consents, notifications and outbox e-mails are written in bulk, the journey read once per commune."""

from datetime import date

from sanscouture.accounts.services import agent_create
from sanscouture.cases.services import declaration_submit, plan_declaration
from sanscouture.notifications.models import Notification, OutboxEmail

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
MAX_QUERIES = 15


def _staff_every_body(referential, planned, agents_per_body: int) -> None:
    from sanscouture.bodies.models import Body

    for body in Body.objects.filter(pk__in=list(planned)):
        for i in range(agents_per_body):
            agent_create(
                username=f"agent-{body.key}-{i}",
                email=f"agent{i}@{body.key.replace(':', '-')}.example",
                password=None,
                body=body,
            )


def test_a_declaration_to_many_bodies_with_many_agents_takes_at_most_15_queries(
    referential, django_assert_max_num_queries
):
    today = date(2026, 6, 1)
    _, _, planned = plan_declaration(
        life_event="je-demenage", choices=MOVE, commune="34274", commune_from="44195", today=today
    )
    assert len(planned) >= 8  # both communes' bodies: the bound is meant to hold for a large declaration
    _staff_every_body(referential, planned, agents_per_body=2)
    # The form reads the plan just before (as the page does): the memo's version checks, at most one each every
    # 0.5 s (routing) and 2 s (catalogue), may still fall inside: they are within the bound.
    plan_declaration(life_event="je-demenage", choices=MOVE, commune="34274", commune_from="44195", today=today)
    with django_assert_max_num_queries(MAX_QUERIES):
        case, _ = declaration_submit(
            life_event="je-demenage",
            choices=MOVE,
            commune="34274",
            commune_from="44195",
            values={"nom": "TEST", "courriel": "lea@example.org"},
            consents=list(planned),
            today=today,
        )
    # Everything the slow path wrote is still written: a task, a consent, and each agent's notice and e-mail.
    assert case.tasks.count() == len(planned)
    assert case.consents.count() == len(planned)
    notes = Notification.objects.filter(case_ref=str(case.public_id), kind="new_task")
    assert notes.count() == 2 * len(planned)
    assert OutboxEmail.objects.filter(kind="new_task").count() == 2 * len(planned)
    assert {n.body_id for n in notes} == set(planned)


def test_the_query_count_does_not_grow_with_the_number_of_bodies(referential, django_assert_max_num_queries):
    """A move within few bodies and one across many cost the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = date(2026, 6, 1)
    counts = []
    for commune, commune_from in (("34274", None), ("34274", "44195")):
        _, _, planned = plan_declaration(
            life_event="je-demenage", choices=MOVE, commune=commune, commune_from=commune_from, today=today
        )
        with CaptureQueriesContext(connection) as queries:
            declaration_submit(
                life_event="je-demenage",
                choices=MOVE,
                commune=commune,
                commune_from=commune_from,
                values={"nom": "TEST"},
                consents=list(planned),
                today=today,
            )
        counts.append((len(planned), len(queries.captured_queries)))
    (few, q_few), (many, q_many) = counts
    assert many > few
    assert q_many <= q_few + 1  # the commune left is resolved by one more read at most
