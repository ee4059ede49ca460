"""The ledger read from real cases, hand-overs between bodies and between services, the figures, ratings, errors.

Cases are declared through the real guichet unique on real communes (Saint-Martin-de-Londres 34274, Savenay 44195)
of the official referential subset."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sanscouture.accounts.services import membership_units_set, unit_create
from sanscouture.accounts.testing import login_verified
from sanscouture.cases.errors import InvalidTransition
from sanscouture.cases.models import Handover
from sanscouture.cases.services import (
    declaration_submit,
    handover_decide,
    message_send,
    task_hand_over,
    task_unit_assign,
)
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.network.services import interactions_sync

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
TODAY = timezone.localdate()


def _case(commune="34274", commune_from="44195"):
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune=commune,
        commune_from=commune_from,
        values={"nom": "DÉMO Test", "courriel": "test@exemple.fr"},
        consents=[],
        today=date(2026, 6, 1),
    )
    return case


@pytest.fixture
def world(referential):
    caf = referential.agent("caf:34", "admin", "net-caf")
    mairie = referential.agent("mairie:34274", "admin", "net-mairie")
    dep = referential.agent("departement:34", "admin", "net-dep")
    case = _case()
    return {"case": case, "caf": caf, "mairie": mairie, "dep": dep, "ref": referential}


def _get(user, url):
    client = Client(raise_request_exception=False)
    login_verified(client, user)
    return client.get(url)


def test_ledger_reads_cases_handovers_and_messages_once(world, referential):
    case, caf, mairie = world["case"], world["caf"], world["mairie"]
    task = case.tasks.get(body__key="mairie:34274")
    handover = task_hand_over(task=task, to_body=referential.body("caf:34"), reason="Relève de la CAF", actor=mairie)
    handover_decide(handover=handover, accept=False, refusal_reason="not_competent", actor=caf)
    message_send(case=case, text="Bonjour", actor=caf, body=referential.body("caf:34"))
    added = interactions_sync()
    assert added == Interaction.objects.count() > 0
    assert interactions_sync(full=True) == 0  # re-reading everything adds nothing: no double entry
    bodies = set(case.tasks.values_list("body_id", flat=True))
    shared = Interaction.objects.filter(kind=InteractionKind.CASE_SHARED)
    assert shared.count() == len(bodies) * (len(bodies) - 1) // 2
    refused = Interaction.objects.get(kind=InteractionKind.HANDOVER_REFUSED)
    assert (refused.from_body.key, refused.to_body.key) == ("mairie:34274", "caf:34")
    assert refused.delay_seconds is not None and refused.delay_seconds >= 0
    messages = Interaction.objects.filter(kind=InteractionKind.MESSAGE)
    assert messages.count() == len(bodies) - 1 and {m.from_body.key for m in messages} == {"caf:34"}


def test_internal_handover_between_two_services_of_the_departement(world, referential):
    dep_body, dep = referential.body("departement:34"), world["dep"]
    solidarites = unit_create(body=dep_body, name="Direction des solidarités", kind="direction", actor=dep)
    pmi = unit_create(body=dep_body, name="Protection maternelle et infantile", parent=solidarites, actor=dep)
    insertion = unit_create(body=dep_body, name="Service insertion", parent=solidarites, actor=dep)
    routes = unit_create(body=dep_body, name="Direction des routes", kind="direction", actor=dep)
    membership_units_set(membership=dep.memberships.get(), units=[pmi], actor=dep)
    task = world["case"].tasks.filter(body=dep_body).first() or _task_for(world, dep_body)
    with pytest.raises(InvalidTransition):
        task_hand_over(task=task, to_body=dep_body, reason="même", actor=dep)  # inside one body: a service
    task_unit_assign(task=task, unit=pmi, actor=dep)
    handover = task_hand_over(task=task, to_body=dep_body, to_unit=insertion, reason="RSA", actor=dep)
    handover_decide(handover=handover, accept=True, actor=dep)
    task.refresh_from_db()
    assert (task.body, task.unit) == (dep_body, insertion)
    interactions_sync()
    response = _get(dep, f"/api/v1/structures/{dep_body.pk}/reseau-interne")
    assert response.status_code == 200, response.content
    data = response.json()
    names = {s["nom"] for s in data["services"]}
    assert {"Protection maternelle et infantile", "Service insertion", "Direction des routes"} <= names
    [link] = data["liens"]
    assert link["orientations"] == 1 and link["acceptees"] == 1 and link["taux_refus"] == 0
    routes_row = next(s for s in data["services"] if s["id"] == routes.pk)
    assert routes_row["isolee"] is True
    # Another body's agent: 404, never the figures.
    assert _get(world["caf"], f"/api/v1/structures/{dep_body.pk}/reseau-interne").status_code == 404


def _task_for(world, body):
    """A task of the Département: the CAF passes its own task to it."""
    task = world["case"].tasks.get(body__key="caf:34")
    handover = task_hand_over(task=task, to_body=body, reason="Compétence départementale", actor=world["caf"])
    handover_decide(handover=handover, accept=True, actor=world["dep"])
    task.refresh_from_db()
    return task


def test_territory_network_tie_delay_refusal_rate_isolated_body_and_rating(world, referential):
    case, caf, mairie, dep = world["case"], world["caf"], world["mairie"], world["dep"]
    mdph = referential.agent("mdph:34", "admin", "net-mdph")  # on the platform, no tie: isolated
    caf_body, dep_body = referential.body("caf:34"), referential.body("departement:34")
    caf_task = case.tasks.get(body=caf_body)
    first = task_hand_over(task=caf_task, to_body=dep_body, reason="ASE", actor=caf)
    Handover.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=30))
    handover_decide(handover=first, accept=False, refusal_reason="missing_information", actor=dep)
    second = task_hand_over(task=caf_task, to_body=dep_body, reason="ASE, complet", actor=caf)
    Handover.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=6))
    handover_decide(handover=second, accept=True, actor=dep)
    url = f"/api/v1/reseau?territoire=departement:34&du={TODAY - timedelta(days=30)}&au={TODAY}"
    data = _get(mairie, url).json()
    ids = {s["cle"]: s for s in data["structures"]}
    assert ids["mdph:34"]["isolee"] is True and ids["caf:34"]["isolee"] is False
    assert any(ids["mdph:34"]["nom"] in line and "aucune interaction" in line for line in data["explications"])
    tie = next(link for link in data["liens"] if {link["source"], link["cible"]} == {caf_body.pk, dep_body.pk})
    assert tie["orientations"] == 2 and tie["refusees"] == 1 and tie["taux_refus"] == 0.5
    assert 5.9 <= tie["delai_median_acceptation_heures"] <= 6.1
    assert tie["confiance"] is None
    # The Département rates the tie after the decision: the tie's trust score follows.
    client = Client(raise_request_exception=False)
    login_verified(client, dep)
    scores = {"alignement": 4, "ouverture": 3, "fiabilite": 2, "ressources": 4, "influence": 4, "engagement": 4}
    response = client.post(f"/api/v1/orientations/{second.pk}/evaluation", scores, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["confiance"] == 3.0
    again = client.post(f"/api/v1/orientations/{second.pk}/evaluation", scores, content_type="application/json")
    assert again.status_code == 409 and again.json()["erreur"]["code"] == "evaluation_deja_faite"
    tie = next(
        link
        for link in _get(mairie, url).json()["liens"]
        if {link["source"], link["cible"]} == {caf_body.pk, dep_body.pk}
    )
    assert tie["confiance"] == 3.0 and tie["evaluations"] == 1
    # The mairie is not party to this hand-over: it does not even see it.
    outsider = Client(raise_request_exception=False)
    login_verified(outsider, mairie)
    refused = outsider.post(f"/api/v1/orientations/{second.pk}/evaluation", scores, content_type="application/json")
    assert refused.status_code == 404
    assert mdph


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("territoire=departement:99", 404, "territoire_inconnu"),
        ("territoire=commune:34274", 400, "territoire_invalide"),
        ("territoire=departement:34&du=2026-05-01&au=2026-01-01", 400, "periode_invalide"),
        ("territoire=departement:34&du=2019-01-01&au=2026-01-01", 400, "periode_invalide"),
    ],
)
def test_bad_input_gets_a_clear_error(world, query, status, code):
    response = _get(world["caf"], f"/api/v1/reseau?{query}")
    assert response.status_code == status
    assert response.json()["erreur"]["code"] == code
    assert response.json()["erreur"]["message"]


def test_csv_and_open_data_suppress_small_cells(world):
    interactions_sync()
    response = _get(world["caf"], "/api/v1/reseau/csv?territoire=departement:34")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id;cle;nom;type;activite")
    public = Client().get("/api/v1/reseau/donnees-ouvertes?territoire=departement:34")
    assert public.status_code == 200
    rows = [line.split(";") for line in public.content.decode("utf-8-sig").splitlines()]
    header = rows[0]
    activity = header.index("activite")
    # One move between Savenay and Saint-Martin-de-Londres: twelve bodies, each tied to the eleven others.
    assert rows[1:] and {row[activity] for row in rows[1:]} == {"11"}
    decided, refusal = header.index("orientations_recues_decidees"), header.index("taux_refus")
    assert all(row[decided] in ("", "0") and row[refusal] == "" for row in rows[1:])


def test_the_herault_counts_its_intercommunalite_in_its_network_and_its_open_data(world):
    """The CC du Grand Pic Saint-Loup has no département of its own: its member communes place it in the Hérault."""
    interactions_sync()
    data = _get(world["caf"], "/api/v1/reseau?territoire=departement:34").json()
    cc = next(s for s in data["structures"] if s["cle"] == "epci:200022986")
    assert cc["dans_territoire"] is True
    public = Client().get("/api/v1/reseau/donnees-ouvertes?territoire=departement:34")
    keys = {line.split(";")[0] for line in public.content.decode("utf-8-sig").splitlines()[1:]}
    assert "epci:200022986" in keys and "caf:34" in keys
    # Loire-Atlantique's network still sees it from the outside only.
    other = _get(world["caf"], "/api/v1/reseau?territoire=departement:44").json()
    assert next(s for s in other["structures"] if s["cle"] == "epci:200022986")["dans_territoire"] is False


@pytest.mark.parametrize(("decided", "refused"), [(6, 2), (5, 1), (9, 5), (9, 4), (10, 6)])
def test_open_data_masks_a_refusal_rate_that_gives_back_1_to_4_refusals_or_acceptances(decided, refused):
    from sanscouture.network.exports import suppressed

    node = {
        "activite": 20,
        "orientations_recues_decidees": decided,
        "orientations_recues_refusees": refused,
        "taux_refus": round(refused / decided, 3),
        "delai_median_acceptation_heures": 3.0,
        "courtage": {},
    }
    row = suppressed(node)
    small = any(0 < n < 5 for n in (refused, decided - refused))
    assert (row["taux_refus"] is None) is small
    assert (row["delai_median_acceptation_heures"] is None) is (decided - refused < 5)
    # Without the count, the rate and the decided hand-overs give it back all the same.
    del node["orientations_recues_refusees"]
    assert (suppressed(node)["taux_refus"] is None) is small


def test_open_data_rows_mask_counts_under_five_and_rates_drawn_from_them():
    from sanscouture.network.exports import suppressed

    row = suppressed(
        {
            "activite": 4,
            "partenaires": 0,
            "orientations_recues_decidees": 3,
            "taux_refus": 0.33,
            "delai_median_acceptation_heures": 2.0,
            "courtage": {"total": 7},
        }
    )
    assert (row["activite"], row["partenaires"], row["orientations_recues_decidees"]) == (None, 0, None)
    assert row["taux_refus"] is None and row["delai_median_acceptation_heures"] is None
    assert row["courtage_total"] == 7
    kept = suppressed({"activite": 9, "orientations_recues_decidees": 10, "taux_refus": 0.5, "courtage": {}})
    assert kept["activite"] == 9 and kept["taux_refus"] == 0.5
    # 1 refusal of 5 decided: the rate would give the 1 back.
    assert suppressed({"orientations_recues_decidees": 5, "taux_refus": 0.2, "courtage": {}})["taux_refus"] is None
    assert Client().get("/api/v1/reseau?territoire=departement:34").status_code == 401


def test_the_command_backfills_once(world):
    from django.core.management import call_command

    call_command("reseau-sync", "--complet")
    count = Interaction.objects.count()
    assert count > 0
    call_command("reseau-sync", "--complet")
    call_command("reseau-sync")
    assert Interaction.objects.count() == count


def test_notices_of_impact_and_their_answers_enter_the_ledger_with_the_answer_delay(referential):
    """Issue 11's notices and answers are interactions between bodies (issue 12 reads them)."""
    from sanscouture.impacts.models import Notice
    from sanscouture.impacts.services import action_declare, action_publish, notice_answer

    region = referential.agent("region:76", "admin", "region-admin-reseau")
    action = action_declare(
        actor=region,
        body=referential.body("region:76"),
        kind="service",
        title="Nouveaux horaires des cars scolaires",
        start=date(2027, 1, 4),
        end=date(2027, 6, 30),
        communes=["34274"],
        territory=None,
        competences=["transport-scolaire"],
    )
    action_publish(actor=region, action=action)
    departement = referential.body("departement:34")
    notice = Notice.objects.get(action=action, body=departement)
    notice_answer(
        actor=referential.agent("departement:34", "admin"), notice=notice, answer="adaptation", text="Collèges."
    )
    interactions_sync(full=True)
    sent = Interaction.objects.filter(kind=InteractionKind.NOTICE, from_body=action.body)
    assert departement.pk in set(sent.values_list("to_body_id", flat=True))
    [answer] = Interaction.objects.filter(kind=InteractionKind.NOTICE_ANSWER)
    assert (answer.from_body_id, answer.to_body_id) == (departement.pk, action.body_id)
    assert answer.delay_seconds is not None and answer.delay_seconds >= 0
    before = Interaction.objects.count()
    interactions_sync(full=True)
    assert Interaction.objects.count() == before  # read once


def _spread_ledger(referential):
    """Interactions written straight into the ledger over four months (partial and whole), with delays."""
    caf, dep, mairie = (referential.body(k) for k in ("caf:34", "departement:34", "mairie:34274"))
    rows, n = [], 0
    for days_ago in (2, 20, 45, 70, 95, 130):
        at = timezone.now() - timedelta(days=days_ago)
        for kind, a, b, delay in [
            (InteractionKind.HANDOVER_SENT, caf, dep, None),
            (InteractionKind.HANDOVER_ACCEPTED, caf, dep, 3600 * (days_ago % 7 + 1)),
            (InteractionKind.HANDOVER_REFUSED, mairie, caf, 7200),
            (InteractionKind.CASE_SHARED, caf, mairie, None),
            (InteractionKind.GATHERING, dep, mairie, None),
        ]:
            n += 1
            rows.append(
                Interaction(
                    kind=kind, source=f"test:{n}", from_body=a, to_body=b, at=at, day=at.date(), delay_seconds=delay
                )
            )
    Interaction.objects.bulk_create(rows)
    return caf, dep, mairie


def test_figures_are_the_same_from_the_ledger_and_from_its_monthly_aggregate(referential):
    from sanscouture.network.models import InteractionMonth
    from sanscouture.network.selectors import Period, network_of_territory, territory_parse, trends_of_territory
    from sanscouture.network.services import interactions_fold

    _spread_ledger(referential)
    territory = territory_parse("departement:34")
    period = Period(TODAY - timedelta(days=100), TODAY)  # starts mid-month: a partial month at each end
    raw = (
        network_of_territory(territory=territory, period=period),
        trends_of_territory(territory=territory, period=period),
    )
    assert not InteractionMonth.objects.exists()
    assert interactions_fold() == Interaction.objects.count() == 30
    assert not Interaction.objects.filter(folded=False).exists()
    folded = (
        network_of_territory(territory=territory, period=period),
        trends_of_territory(territory=territory, period=period),
    )
    assert folded[0].nodes == raw[0].nodes and folded[0].links == raw[0].links and folded[1] == raw[1]
    assert sum(InteractionMonth.objects.values_list("count", flat=True)) == 30
    assert interactions_fold() == 0  # nothing counted twice


def test_rows_other_apps_write_are_kept_counted_once_and_leave_with_their_deletion(world, referential):
    """Gatherings and job shadowing write `Interaction` rows themselves (issue 13): the sync neither deletes nor
    double-counts them, the figures count them before and after they are folded into the aggregate."""
    caf, dep, mairie = _spread_ledger(referential)
    url = f"/api/v1/reseau?territoire=departement:34&du={TODAY - timedelta(days=200)}&au={TODAY}"

    def gatherings():
        data = _get(world["caf"], url).json()
        tie = next(link for link in data["liens"] if {link["source"], link["cible"]} == {dep.pk, mairie.pk})
        return tie["par_type"].get(InteractionKind.GATHERING, 0)

    assert gatherings() == 6  # the API synchronises: the six rows are folded now
    assert interactions_sync(full=True) == 0 and gatherings() == 6
    at = timezone.now() - timedelta(days=80)  # written late, in a month already folded
    late = Interaction.objects.create(
        kind=InteractionKind.GATHERING, source="gathering:late", from_body=dep, to_body=mairie, at=at, day=at.date()
    )
    from sanscouture.network.selectors import Period, network_of_territory, territory_parse

    period = Period(TODAY - timedelta(days=200), TODAY)
    graph = network_of_territory(territory=territory_parse("departement:34"), period=period)  # before any sync
    tie = next(link for link in graph.links if {link["source"], link["cible"]} == {dep.pk, mairie.pk})
    assert tie["par_type"][InteractionKind.GATHERING] == 7
    assert gatherings() == 7 and gatherings() == 7
    assert Interaction.objects.filter(kind=InteractionKind.GATHERING).count() == 7
    late.delete()
    assert gatherings() == 6
