from datetime import date

import pytest

from sanscouture.competences.errors import (
    CompetenceNotFound,
    DateOutOfRange,
    ExerciseConflict,
    InvalidDeclaration,
    NotAuthorised,
    PivotNotFound,
)
from sanscouture.competences.models import Exercise
from sanscouture.competences.routing import route, route_all, route_pivot
from sanscouture.competences.services import exercise_declare, exercise_withdraw

PIC_SAINT_LOUP = "epci:200022986"
SAINT_MARTIN = "34274"


def names(answer):
    return [b.name for b in answer.bodies]


def test_saint_martin_de_londres_has_the_expected_bodies_for_the_done_when_competences(referential):
    answers = {a.subject: a for a in route_all(commune=SAINT_MARTIN, on=date(2026, 6, 1))}
    for code in ("dechets-menagers", "gemapi", "gens-du-voyage"):
        assert names(answers[code]) == ["CC du Grand Pic Saint-Loup"], code
        assert answers[code].reason.kind == "loi"
    for code in ("rsa", "pmi", "colleges"):
        assert "Département de l'Hérault" in names(answers[code]), code
    for code in ("lycees", "transport-scolaire"):
        assert names(answers[code]) == ["Région Occitanie"], code
    assert "CGCT art. L5214-16 (I 5° (CC))" in answers["dechets-menagers"].reason.references


def test_intercommunality_declaration_overrides_the_commune_default(referential):
    pic = referential.body(PIC_SAINT_LOUP)
    before = route("petite-enfance", commune=SAINT_MARTIN, on=date(2025, 6, 1))
    assert before.body.key == f"mairie:{SAINT_MARTIN}" and before.reason.kind == "facultative"
    communes = list(pic.epci.communes.all())
    assert len(communes) == 36
    exercise_declare(
        body=pic,
        competence="petite-enfance",
        communes=communes,
        start=date(2024, 1, 1),
        basis="statuts",
        reference="Arrêté préfectoral du 12/12/2023",
        actor=referential.agent(PIC_SAINT_LOUP),
    )
    answer = route("petite-enfance", commune=SAINT_MARTIN, on=date(2025, 6, 1))
    assert answer.body.key == PIC_SAINT_LOUP and answer.reason.kind == "declaration"
    assert "Statuts" in answer.reason.text
    # Before the declaration's start the law applies again.
    assert route("petite-enfance", commune=SAINT_MARTIN, on=date(2023, 6, 1)).body.key == f"mairie:{SAINT_MARTIN}"


def test_a_withdrawn_or_ended_declaration_no_longer_routes(referential):
    pic = referential.body(PIC_SAINT_LOUP)
    agent = referential.agent(PIC_SAINT_LOUP)
    ex = exercise_declare(
        body=pic,
        competence="periscolaire-restauration",
        communes=[referential.commune(SAINT_MARTIN)],
        start=date(2025, 6, 1),
        end=date(2026, 12, 31),
        basis="statuts",
        actor=agent,
    )
    assert route("periscolaire-restauration", commune=SAINT_MARTIN, on=date(2026, 12, 31)).body.key == PIC_SAINT_LOUP
    assert (
        route("periscolaire-restauration", commune=SAINT_MARTIN, on=date(2027, 1, 1)).body.key
        == f"mairie:{SAINT_MARTIN}"
    )
    exercise_withdraw(exercise=ex, actor=agent)
    assert (
        route("periscolaire-restauration", commune=SAINT_MARTIN, on=date(2026, 6, 1)).body.key
        == f"mairie:{SAINT_MARTIN}"
    )


def test_conflicting_declaration_is_refused_and_changes_nothing(referential):
    pic = referential.body(PIC_SAINT_LOUP)
    agent = referential.agent(PIC_SAINT_LOUP)
    commune = referential.commune(SAINT_MARTIN)
    exercise_declare(
        body=pic,
        competence="voirie-communale",
        communes=[commune],
        start=date(2022, 1, 1),
        basis="statuts",
        actor=agent,
    )
    mairie = referential.body(f"mairie:{SAINT_MARTIN}")
    mayor = referential.agent(f"mairie:{SAINT_MARTIN}")
    with pytest.raises(ExerciseConflict) as exc:
        exercise_declare(
            body=mairie,
            competence="voirie-communale",
            communes=[commune],
            start=date(2024, 1, 1),
            basis="deliberation",
            actor=mayor,
        )
    assert "CC du Grand Pic Saint-Loup" in exc.value.message and exc.value.status == 409
    assert Exercise.objects.filter(competence="voirie-communale").count() == 1
    # Adjacent periods do not conflict.
    exercise_declare(
        body=mairie,
        competence="voirie-communale",
        communes=[commune],
        start=date(2020, 1, 1),
        end=date(2021, 12, 31),
        basis="deliberation",
        actor=mayor,
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"competence": "inexistante"}, CompetenceNotFound),
        ({"basis": "rumeur"}, InvalidDeclaration),
        ({"start": date(2010, 1, 1)}, DateOutOfRange),
        ({"start": date(2024, 1, 1), "end": date(2023, 1, 1)}, InvalidDeclaration),
        ({"communes": []}, InvalidDeclaration),
    ],
)
def test_bad_declarations_get_a_clear_error_and_change_nothing(referential, kwargs, error):
    args = {
        "body": referential.body(PIC_SAINT_LOUP),
        "competence": "petite-enfance",
        "communes": [referential.commune(SAINT_MARTIN)],
        "start": date(2024, 1, 1),
        "basis": "statuts",
        "actor": referential.agent(PIC_SAINT_LOUP),
    } | kwargs
    with pytest.raises(error) as exc:
        exercise_declare(**args)
    assert exc.value.message and exc.value.code
    assert not Exercise.objects.exists()


def test_only_an_authorised_agent_of_the_body_may_declare(referential):
    with pytest.raises(NotAuthorised):
        exercise_declare(
            body=referential.body(PIC_SAINT_LOUP),
            competence="petite-enfance",
            communes=[referential.commune(SAINT_MARTIN)],
            start=date(2024, 1, 1),
            basis="statuts",
            actor=referential.agent("mairie:34274"),
        )
    with pytest.raises(NotAuthorised):
        exercise_declare(
            body=referential.body(PIC_SAINT_LOUP),
            competence="petite-enfance",
            communes=[referential.commune(SAINT_MARTIN)],
            start=date(2024, 1, 1),
            basis="statuts",
            actor=referential.agent(PIC_SAINT_LOUP, role="agent"),
        )
    assert not Exercise.objects.exists()


@pytest.mark.parametrize(
    ("commune", "competence", "expected", "kind"),
    [
        ("69123", "colleges", "Métropole de Lyon", "statut_particulier"),  # MAPTAM: departmental competences
        ("69264", "colleges", "Département du Rhône", "loi"),  # Villefranche-sur-Saône, outside the Métropole
        ("75056", "colleges", "Ville de Paris", "statut_particulier"),
        ("75056", "dechets-menagers", "Ville de Paris", "facultative"),  # not in an EPT, MGP does not hold it
        ("93066", "dechets-menagers", "Plaine Commune", "loi"),  # the EPT holds it (L5219-5)
        ("2A004", "lycees", "Collectivité de Corse", "statut_particulier"),
        ("2B033", "colleges", "Collectivité de Corse", "statut_particulier"),
        ("97209", "colleges", "Collectivité territoriale de Martinique", "statut_particulier"),
        ("97302", "lycees", "Collectivité territoriale de Guyane", "statut_particulier"),
        ("97611", "lycees", "Département de Mayotte", "statut_particulier"),
        ("29155", "dechets-menagers", "Mairie d'Ouessant", "loi"),  # island commune without EPCI
        ("22016", "gemapi", "Mairie d'Île-de-Bréhat", "loi"),
        ("85113", "dechets-menagers", "Mairie de L'Île-d'Yeu", "loi"),
        ("97701", "colleges", "Collectivité de Saint-Barthélemy", "statut_particulier"),
    ],
)
def test_special_statuses_and_communes_without_epci(referential, commune, competence, expected, kind):
    answer = route(competence, commune=commune, on=date(2026, 6, 1))
    assert names(answer) == [expected]
    assert answer.reason.kind == kind
    assert answer.reason.text


def test_island_without_epci_says_so(referential):
    answer = route("dechets-menagers", commune="29155", on=date(2026, 6, 1))
    assert "aucune intercommunalité" in answer.reason.text


def test_polynesia_is_not_modelled_and_routing_says_so_instead_of_guessing(referential):
    answer = route("colleges", commune="98735", on=date(2026, 6, 1))
    assert answer.bodies == () and answer.reason.kind == "non_modelise"
    assert "Polynésie" in answer.reason.text


def test_loi_2025_327_does_not_undo_the_transfer_of_water_to_a_communaute_de_communes(referential):
    before = route("eau-potable", commune=SAINT_MARTIN, on=date(2024, 6, 1))
    after = route("eau-potable", commune=SAINT_MARTIN, on=date(2026, 6, 1))
    assert before.body.key == PIC_SAINT_LOUP and after.body.key == PIC_SAINT_LOUP
    assert "ne revient pas sur les transferts" in after.reason.text
    assert "minorité de blocage" in before.reason.text
    # A communauté d'agglomération keeps it (L5216-5).
    montpellier = route("eau-potable", commune="34172", on=date(2026, 6, 1))
    assert montpellier.body.name == "Montpellier Méditerranée Métropole"


def test_pivots_route_to_the_departemental_bodies_and_unknown_pivots_are_refused(referential):
    assert names(route_pivot("caf", commune=SAINT_MARTIN)) == ["CAF de l'Hérault"]
    assert names(route_pivot("cpam", commune=SAINT_MARTIN)) == ["CPAM de l'Hérault"]
    assert names(route_pivot("maison_handicapees", commune=SAINT_MARTIN)) == ["MDPH de l'Hérault"]
    assert names(route_pivot("mairie", commune=SAINT_MARTIN)) == ["Mairie de Saint-Martin-de-Londres"]
    assert names(route_pivot("cg", commune="69123")) == ["Métropole de Lyon"]
    assert names(route_pivot("pmi", commune=SAINT_MARTIN)) == ["Département de l'Hérault"]
    assert names(route_pivot("cpam", commune="97209")) == ["CGSS de la Martinique"]
    assert names(route_pivot("caf", commune="97801")) == ["CAF de la Guadeloupe"]
    unknown_office = route_pivot("banque_de_france", commune=SAINT_MARTIN)
    assert unknown_office.bodies == () and "lannuaire.service-public.fr" in unknown_office.reason.text
    with pytest.raises(PivotNotFound):
        route_pivot("guichet-imaginaire", commune=SAINT_MARTIN)


@pytest.mark.parametrize("on", [date(2014, 12, 31), date(2100, 1, 1)])
def test_dates_outside_validity_are_refused(referential, on):
    with pytest.raises(DateOutOfRange):
        route("colleges", commune=SAINT_MARTIN, on=on)


def test_every_competence_routes_for_every_commune_of_the_fixture(referential):
    from sanscouture.competences.routing import route_everywhere

    seen = 0
    for place, comp, answer in route_everywhere(on=date(2026, 6, 1)):
        seen += 1
        if place.not_modelled:
            assert not answer.bodies and answer.reason.kind == "non_modelise"
        elif place.departement in ("975", "977", "978") and comp.code in ("handicap-mdph", "sdis"):
            assert "non référencée pour" in answer.reason.text  # a known gap, said, not guessed
        else:
            assert answer.bodies, (place.insee_code, comp.code, answer.reason.text)
    assert seen > 2000 * 45


def test_a_pivot_we_hold_no_body_for_is_never_guessed_from_related_competences(referential):
    for pivot in ("adil", "msa", "msap"):
        answer = route_pivot(pivot, commune=SAINT_MARTIN)
        assert answer.bodies == () and answer.reason.kind == "inconnu", pivot
        assert f"navigation/{pivot}" in answer.reason.text
    pmi = route_pivot("pmi", commune=SAINT_MARTIN)
    assert "service du département" in pmi.reason.text
