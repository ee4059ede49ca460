"""Conditions of the life events: every construct of the data (estVrai, ou, et, estIndefini) and estFaux."""

import json

import pytest

from sanscouture.catalogue.conditions import condition_parse, evaluate, variables_of, variables_set
from sanscouture.catalogue.nodes import from_xml

from .conftest import VDD

REAL = {
    c["source"] + ":" + c["construct"]: condition_parse(c["condition"])
    for c in json.loads((VDD / "conditions.json").read_text())
}


def parse(xml: str) -> dict:
    return condition_parse(from_xml(xml.encode()))


def test_leaf_constructs_with_unset_variables_false():
    assert parse('<Condition><estVrai var="T1"/></Condition>') == {"op": "estVrai", "var": "T1"}
    assert evaluate({"op": "estVrai", "var": "T1"}, {"T1": True})
    assert not evaluate({"op": "estVrai", "var": "T1"}, {"T1": False})
    assert not evaluate({"op": "estVrai", "var": "T1"}, {})  # an unset variable is false
    assert parse('<Condition><estFaux var="T1"/></Condition>') == {"op": "estFaux", "var": "T1"}
    assert evaluate({"op": "estFaux", "var": "T1"}, {"T1": False})
    assert evaluate({"op": "estFaux", "var": "T1"}, {})
    assert not evaluate({"op": "estFaux", "var": "T1"}, {"T1": True})
    assert evaluate({"op": "estIndefini", "var": "T1"}, {})
    assert not evaluate({"op": "estIndefini", "var": "T1"}, {"T1": False})  # set to false by a choice: defined


def test_ou_from_the_data():
    expr = REAL["F1026:ou"]
    assert expr["op"] == "ou" and len(expr["args"]) == 7
    assert evaluate(expr, {"T11370": True})
    assert not evaluate(expr, {"T10313": False})
    assert not evaluate(expr, {})


def test_estindefini_inside_ou_from_the_data():
    expr = REAL["F1026:estIndefini"]
    assert variables_of(expr) == {"T11257", "T10951"}
    assert evaluate(expr, {})  # nothing answered: shown
    assert evaluate(expr, {"T11257": False})  # T10951 still undefined
    assert not evaluate(expr, {"T11257": False, "T10951": False})
    assert evaluate(expr, {"T11257": False, "T10951": True})


def test_et_nested_in_ou_from_the_data():
    expr = REAL["F13609:et"]
    assert expr["op"] == "ou" and expr["args"][0]["op"] == "et"
    assert evaluate(expr, {})
    assert evaluate(expr, {"T11476": True})
    assert not evaluate(expr, {"T11476": False})
    # the `et` branch alone: both sides needed
    et = expr["args"][0]
    assert not evaluate(et, {"T10032": False, "T11769": False})
    assert evaluate(et, {"T10032": True, "T11769": False, "T11476": True})


def test_estfaux_nested_with_et_and_ou():
    expr = parse('<Condition><et><estFaux var="A"/><ou><estVrai var="B"/><estIndefini var="C"/></ou></et></Condition>')
    assert expr == {
        "op": "et",
        "args": [
            {"op": "estFaux", "var": "A"},
            {"op": "ou", "args": [{"op": "estVrai", "var": "B"}, {"op": "estIndefini", "var": "C"}]},
        ],
    }
    assert evaluate(expr, {})
    assert not evaluate(expr, {"A": True})
    assert not evaluate(expr, {"C": False})
    assert evaluate(expr, {"C": False, "B": True})


def test_several_children_mean_all_and_unknown_constructs_are_false_and_reported():
    seen = []
    expr = condition_parse(
        from_xml(b'<Condition><estVrai var="A"/><estPlusGrand var="B"/></Condition>'), warn=seen.append
    )
    assert expr == {"op": "et", "args": [{"op": "estVrai", "var": "A"}, {"op": "inconnu", "name": "estPlusGrand"}]}
    assert seen == ["estPlusGrand"]
    assert not evaluate(expr, {"A": True})


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([{"sets_true": ["T1"], "sets_false": ["T2"]}], {"T1": True, "T2": False}),
        ([{"sets_true": [], "sets_false": ["T1"]}, {"sets_true": ["T3"], "sets_false": []}], {"T1": False, "T3": True}),
    ],
)
def test_variables_set_by_selected_choices(choices, expected):
    assert variables_set(choices) == expected
