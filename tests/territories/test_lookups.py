import pytest

from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound, MalformedCode
from sanscouture.territories.selectors import commune_find, commune_resolve, commune_search


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
