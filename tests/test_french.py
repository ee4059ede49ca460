"""French plurals in every template (`|pluriel`, a builtin): 0 and 1 singular, where Django's `pluralize` is English."""

from django.template import Context, Template


def test_zero_and_one_are_singular_in_every_template_without_loading_anything():
    line = Template("{{ n }} événement{{ n|pluriel }} mesuré{{ n|pluriel }}, {{ n }} recevr{{ n|pluriel:'a,ont' }}")
    assert [line.render(Context({"n": n})) for n in (0, 1, 2)] == [
        "0 événement mesuré, 0 recevra",
        "1 événement mesuré, 1 recevra",
        "2 événements mesurés, 2 recevront",
    ]


def test_a_collection_counts_by_its_length_and_anything_else_is_singular():
    line = Template("structure{{ items|pluriel }}")
    assert line.render(Context({"items": ["a", "b"]})) == "structures"
    assert line.render(Context({"items": {"a"}})) == "structure"
    assert line.render(Context({"items": None})) == "structure"
