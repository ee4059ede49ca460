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
    assert "Mairie" in waste.named_by_fiche and "L2224-13" in waste.reason


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


def test_offices_without_a_body_here_say_where_to_go_by_their_class(referential):
    address = step(compute(), "Déclaration du changement d'adresse")
    taxes = next(o for o in address.offices if o.pivot == "centre_impots")
    assert taxes.bodies == () and taxes.office_class == "reseau" and taxes.link_url.startswith("https://www.impots")
    msa = next(o for o in address.offices if o.pivot == "msa")
    assert msa.office_class == "reseau" and msa.online_url == "https://monespaceprive.msa.fr"


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
    assert local[0].paragraphs == ["Pré-inscription en crèche auprès du relais petite enfance de la CC."]
    assert local[0].local_body.name == "CC du Grand Pic Saint-Loup"
    elsewhere = journey_compute(life_event="F16225", choices=[], commune="34172", on=date(2026, 6, 1))
    assert not [s for s in elsewhere.steps if s.local_body]
    before = journey_compute(life_event="F16225", choices=[], commune="34274", on=date(2024, 6, 1))
    assert not [s for s in before.steps if s.local_body]


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("inline", ()) or node.get("children", ()))


# J'attends un enfant: a first child, a job, not in social housing.
EXPECTING = [
    "avez-vous-un-autre-enfant-a-charge-non",
    "avez-vous-un-emploi-oui",
    "etes-vous-locataire-d-un-logement-social-hlm-non",
]


def test_j_attends_un_enfant_in_saint_martin_de_londres_shows_the_whole_official_content(referential):
    event = journey_compute(life_event="j-attends-un-enfant", choices=EXPECTING, commune="34274", on=date(2026, 6, 1))
    nodes = [n for s in event.steps for n in _walk(s.content)]
    kinds = {n["type"] for n in nodes}
    # Sub-chapters, cases with their titles, boxes, real lists and links in place, as on service-public.fr.
    assert {"souschapitre", "liste", "item", "bloccas", "cas", "encadre", "lien"} <= kinds
    assert not any(n.get("title") == "Je suis sans emploi" for n in nodes)
    assert [s.title for s in event.urgent_first][0] == "Dans les 5 jours qui suivent la naissance"
    assert any(n["type"] == "cas" and n.get("title") == "Mode de garde extérieur" for n in nodes)
    assert any(n["type"] == "encadre" and n.get("title") for n in nodes)
    health = next(s for s in event.steps if s.title == "Santé")
    first_item = health.content[0]["children"][1]["children"][0]["inline"]
    assert [r["type"] for r in first_item][:2] == ["texte", "lien"] and first_item[1]["target"] == "F968"
    # The life event's own online services: the CAF online space and the birth-certificate request.
    titles = {x.id: x.title for x in event.before.services}
    assert titles["R1165"] == "Caisse d'allocations familiales (Caf) en ligne" and "R1406" in titles
    assert {x.id: x.login for x in event.before.services}["R1165"] in ("oui", "")
    assert event.before.questions and all(f.url.startswith("https://") for f in event.before.questions)
    # Every office entry is one of the four classes, with a working link (no spaces) or a body.
    offices = [o for s in event.steps for o in s.offices] + event.before.offices
    assert offices and {o.office_class for o in offices} <= {"guichet", "reseau", "profession", "annuaire"}
    for office in offices:
        assert office.bodies or office.link_url.startswith("https://"), office
        assert " " not in office.link_url
    fiches = [f for s in event.steps for f in s.fiches]
    assert all(f.description for f in fiches if f.kind.startswith("Fiche"))
    assert sum(len(f.services) for f in fiches) > 20
    assert event.glossary and all(v["text"] for v in event.glossary.values())


def test_offices_of_another_territory_are_never_shown(referential):
    journeys = [
        journey_compute(life_event=le, choices=[], commune="34274", on=date(2026, 6, 1))
        for le in ("je-reviens-vivre-en-france", "je-pars-de-chez-mes-parents", "je-recherche-un-emploi")
    ]
    pivots = {o.pivot for j in journeys for s in j.steps for o in s.offices}
    assert not {p for p in pivots if p.startswith(("paris_", "cramif", "driea", "drihl"))}
    assert all(" " not in p for p in pivots)


def test_stale_names_are_shown_with_todays_name_and_the_date_of_change(referential):
    job = journey_compute(life_event="je-recherche-un-emploi", choices=[], commune="34274", on=date(2026, 6, 1))
    offices = {o.pivot: o for s in job.steps for o in s.offices}
    assert offices["pole_emploi"].label == "France Travail"
    assert "Pôle emploi" in offices["pole_emploi"].renamed and "01/01/2024" in offices["pole_emploi"].renamed


def test_unanswered_questions_say_what_the_journey_leaves_out(referential):
    journey = compute(["locataire", "francais", "oui"])  # no "situation professionnelle"
    [missing] = journey.unanswered
    assert missing.question == "Situation professionnelle"
    assert "Jours de congés" in missing.left_out
    assert compute().unanswered == []


def test_a_time_limit_of_the_official_text_puts_a_step_first(referential):
    journey = compute()
    housing = step(journey, "Démarches liées au logement actuel")
    assert "préavis" in housing.deadline
    assert journey.urgent_first[0].deadline


def test_the_sous_prefecture_of_the_arrondissement_or_the_prefecture_in_the_chef_lieu(referential):
    from sanscouture.competences.routing import route_pivot

    lodeve = route_pivot("sous_pref", commune="34274")  # Saint-Martin-de-Londres: arrondissement of Lodève
    assert [b.name for b in lodeve.bodies] == ["Sous-préfecture de Lodève"] and lodeve.reason.kind == "guichet"
    assert route_pivot("sous_pref", commune="34172").bodies == ()  # Montpellier: the préfecture's arrondissement
    from sanscouture.competences.routing import place
    from sanscouture.journeys.selectors import _office, _Where

    where = _Where(place("34172"), "76", "metro", "Occitanie", "Hérault")
    office = _office("sous_pref", "Sous-préfecture", where, date(2026, 6, 1))
    assert [b.name for b in office.bodies] == ["Préfecture de l'Hérault"] and "en tient lieu" in office.reason
