import pytest

from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound, MalformedCode
from sanscouture.territories.selectors import (
    commune_candidates,
    commune_find,
    commune_lookup,
    commune_resolve,
    commune_search,
)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Savenay", "44195"),
        ("savenay", "44195"),
        ("SAINT MARTIN DE LONDRES", "34274"),
        ("St-Martin-de-Londres", "34274"),
        ("l'ile d'yeu", "85113"),
        ("Ile-de-Brehat", "22016"),
        ("Saint-Denis (93)", "93066"),
        ("saint denis (974)", "97411"),
        ("29242", "29155"),  # the postcode of one commune only
        ("34274", "34274"),
        ("2A004", "2A004"),
    ],
)
def test_what_a_person_types_finds_one_commune(referential, typed, code):
    assert commune_find(typed).commune.insee_code == code


def test_homonyms_are_disambiguated_by_departement(referential):
    with pytest.raises(AmbiguousCommune) as exc:
        commune_find("Saint-Denis")
    assert "Précisez le département" in exc.value.message
    assert {"93066", "97411"} <= set(exc.value.details["candidats"])


def test_a_postcode_shared_by_several_communes_lists_them(referential):
    with pytest.raises(AmbiguousCommune) as exc:
        commune_find("44260")
    assert "44195" in exc.value.details["candidats"]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("Atlantide", CommuneNotFound),
        ("", MalformedCode),
    ],
)
def test_unknown_or_empty_input_is_a_clear_error(referential, typed, error):
    with pytest.raises(error) as exc:
        commune_find(typed)
    assert exc.value.message


@pytest.mark.parametrize("code", ["3427", "ABCDE", "2C004", "342745"])
def test_malformed_codes(referential, code):
    with pytest.raises(MalformedCode):
        commune_resolve(code)


def test_search_is_accent_and_case_insensitive_and_prefers_prefixes(referential):
    names = [c.name for c in commune_search("ouess")]
    assert names[0] == "Ouessant"
    assert "Saint-Martin-de-Londres" in [c.name for c in commune_search("martin de lond")]
    assert commune_search("") == []


# --- One lookup for every page, the suggestions and the API (issue 8, points 1 and 2) ------------------------------


def test_a_postcode_that_is_also_an_insee_code_offers_both_postcode_first(referential):
    found = commune_lookup("13008")
    assert [(m.name, m.why) for m in found.matches[:2]] == [
        ("Marseille 8e Arrondissement", "postcode"),  # La Poste: 13008 is Marseille's 8th arrondissement
        ("Aurons", "insee"),  # INSEE: 13008 is Aurons
    ]
    assert found.matches[0].commune.insee_code == "13055" and found.matches[0].code == "13208"
    with pytest.raises(AmbiguousCommune) as exc:
        commune_find("13008")
    assert exc.value.details["candidats"] == ["13208", "13008"]
    assert "code postal et un code INSEE" in exc.value.message


def test_a_postcode_of_a_whole_commune_without_arrondissements_opens_it(referential):
    assert [m.name for m in commune_lookup("34000").matches] == ["Montpellier"]
    assert commune_find("34000").commune.insee_code == "34172"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Paris 15e", "75115"),
        ("paris 15", "75115"),
        ("Paris 1er", "75101"),
        ("Marseille 8e", "13208"),
        ("marseille 8eme arrondissement", "13208"),
        ("Lyon 3e", "69383"),
        ("Lyon 3", "69383"),
        ("75015", "75115"),  # the postcode of one arrondissement
        ("Marseille 8e Arrondissement (13)", "13208"),  # the label a suggestion puts in the box
    ],
)
def test_arrondissements_are_found_by_number_and_postcode(referential, typed, code):
    res = commune_find(typed)
    assert res.requested_code == code and res.via == "arrondissement"
    assert res.commune.insee_code == {"75": "75056", "13": "13055", "69": "69123"}[code[:2]]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("lile dyeu", "85113"),  # apostrophes and hyphens left out
        ("LIle-d Yeu", "85113"),
        ("Ste Luce sur Loire", "44172"),
        ("st martin de londres", "34274"),
    ],
)
def test_names_without_hyphens_apostrophes_or_with_abbreviations_are_exact(referential, typed, code):
    assert commune_find(typed).commune.insee_code == code


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Montpelier", "Montpellier"),  # one letter missing
        ("Montpellieer", "Montpellier"),
        ("St Martin de Londre", "Saint-Martin-de-Londres"),  # suggested live, and Enter says "Vouliez-vous dire"
        ("Svaenay", "Savenay"),  # two letters swapped
    ],
)
def test_a_misspelt_name_gets_did_you_mean(referential, typed, first):
    found = commune_lookup(typed)
    assert not found.exact and found.matches[0].name == first
    with pytest.raises(CommuneNotFound) as exc:
        commune_find(typed)
    assert f"Vouliez-vous dire « {first} (" in exc.value.message
    assert exc.value.details["candidats"][0] == found.matches[0].code


def test_best_match_first_exact_then_prefix_by_population(referential):
    names = [m.name for m in commune_lookup("Marseille").matches]
    assert names[0] == "Marseille"
    assert [m.name for m in commune_lookup("montp").matches][:2] == ["Montpellier", "Montpeyroux"]
    assert [m.why for m in commune_lookup("Savenay").matches][:1] == ["name"]


def test_candidates_keep_the_order_and_the_arrondissement(referential):
    found = commune_candidates(["13208", "13008", "13208", "nope"])
    assert [(m.label, m.code) for m in found] == [
        ("Marseille 8e Arrondissement (13)", "13208"),
        ("Aurons (13)", "13008"),
    ]


def test_nothing_like_it_is_not_found_without_suggestions(referential):
    with pytest.raises(CommuneNotFound) as exc:
        commune_find("Zzyzx-sur-Rien")
    assert exc.value.details["candidats"] == [] and "Vouliez-vous dire" not in exc.value.message
