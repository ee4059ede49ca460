"""Journeys from the official life events, routed to the competent local bodies (bundled catalogue)."""

from datetime import date

import pytest

from sanscouture.catalogue.errors import LifeEventNotFound
from sanscouture.journeys.errors import ConflictingChoices, UnknownChoice
from sanscouture.journeys.selectors import journey_compute
from sanscouture.journeys.services import local_step_add
from sanscouture.territories.errors import CommuneNotFound

TENANT = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


def compute(choices=TENANT, commune="34274", **kw):
    return journey_compute(life_event="je-demenage", choices=choices, commune=commune, on=date(2026, 6, 1), **kw)


def step(journey, title):
    return next(s for s in journey.steps if s.title == title)


def all_fiches(journey):
    return {f.id for s in journey.steps for f in s.fiches}


def test_je_demenage_in_saint_martin_de_londres_as_a_tenant(referential):
    journey = compute()
    titles = [s.title for s in journey.steps]
    assert titles[0] == "Démarches liées au logement actuel" and "Enfants" in titles
    # The tenant's démarches, not the owner's.
    assert {"F1168", "F33671", "F31269"} <= all_fiches(journey) and "F2604" not in all_fiches(journey)
    papers = step(journey, "Papiers d'identité - Listes électorales")
    assert "F1372" in {f.id for f in papers.fiches} and "F1937" not in {f.id for f in papers.fiches}
    mairie = next(o for o in papers.offices if o.pivot == "mairie")
    assert [b.name for b in mairie.bodies] == ["Mairie de Saint-Martin-de-Londres"]
    address = step(journey, "Déclaration du changement d'adresse")
    caf = next(o for o in address.offices if o.pivot == "caf")
    assert [b.name for b in caf.bodies] == ["CAF de l'Hérault"]
    waste = next(c for c in address.competent if c.fiche == "F22730")
    assert [b.name for b in waste.bodies] == ["CC du Grand Pic Saint-Loup"] and waste.differs_from_pivot
    assert "service-public.fr oriente vers" in waste.reason and "Mairie" in waste.reason


def test_an_owner_gets_the_owners_steps_and_no_children_step_without_children(referential):
    journey = compute(["proprietaire", "europeen-ue", "non", "retraite"])
    assert "F2604" in all_fiches(journey) and "F1168" not in all_fiches(journey)
    assert "Enfants" not in [s.title for s in journey.steps]
    assert "F1937" in all_fiches(journey) and "F1372" not in all_fiches(journey)


def test_a_linked_life_event_is_a_link_not_an_expansion(referential):
    journey = compute()
    children = step(journey, "Enfants")
    assert [lj.slug for lj in children.linked_journeys] == ["j-ai-besoin-de-faire-garder-mes-enfants"]
    assert "F601" not in all_fiches(journey)
    assert [lj.publication_id for lj in journey.linked_journeys] == ["F601"]


def test_unknown_office_types_say_how_to_find_them(referential):
    address = step(compute(), "Déclaration du changement d'adresse")
    taxes = next(o for o in address.offices if o.pivot == "centre_impots")
    assert taxes.bodies == () and "lannuaire.service-public.fr/navigation/centre_impots" in taxes.how_to_find


def test_in_a_communaute_d_agglomeration_waste_is_still_intercommunal_and_said_so(referential):
    address = step(compute(commune="44184"), "Déclaration du changement d'adresse")  # Saint-Nazaire, CARENE
    waste = next(c for c in address.competent if c.fiche == "F22730")
    assert waste.bodies[0].kind == "epci" and waste.differs_from_pivot


@pytest.mark.parametrize(
    ("choices", "error"),
    [
        (["locataire", "inexistant"], UnknownChoice),
        (["locataire", "proprietaire"], ConflictingChoices),
    ],
)
def test_bad_choices_are_clear_errors(referential, choices, error):
    with pytest.raises(error) as exc:
        compute(choices)
    assert exc.value.message


def test_unknown_life_event_and_commune(referential):
    with pytest.raises(LifeEventNotFound):
        journey_compute(life_event="je-gagne-au-loto", choices=[], commune="34274")
    with pytest.raises(CommuneNotFound):
        compute(commune="99999")


def test_an_old_commune_code_gets_the_journey_of_the_current_commune(referential):
    journey = compute(commune="44160")  # Saint-Géréon → Ancenis-Saint-Géréon
    assert journey.commune.insee_code == "44003" and "44160" in journey.commune_message


def test_local_steps_appear_only_in_the_communes_the_body_serves(referential):
    pic = referential.body("epci:200022986")
    local_step_add(
        body=pic,
        life_event="F16225",
        title="Inscription au relais petite enfance intercommunal",
        description="Pré-inscription en crèche auprès du relais petite enfance de la CC.",
        url="https://www.cc-grandpicsaintloup.fr",
        start=date(2025, 1, 1),
        actor=referential.agent("epci:200022986"),
    )
    here = journey_compute(life_event="F16225", choices=[], commune="34274", on=date(2026, 6, 1))
    local = [s for s in here.steps if s.local_body]
    assert [s.title for s in local] == ["Inscription au relais petite enfance intercommunal"]
    assert local[0].local_body.name == "CC du Grand Pic Saint-Loup"
    elsewhere = journey_compute(life_event="F16225", choices=[], commune="34172", on=date(2026, 6, 1))
    assert not [s for s in elsewhere.steps if s.local_body]
    before = journey_compute(life_event="F16225", choices=[], commune="34274", on=date(2024, 6, 1))
    assert not [s for s in before.steps if s.local_body]
