"""Conditions of the "Comment faire si" content, as small expression trees, and their evaluation.

Format (JSON, stored in `LifeEvent.content`):

* `{"op": "estVrai" | "estFaux" | "estIndefini", "var": "T10280"}`
* `{"op": "ou" | "et", "args": [<expr>, ...]}`
* `{"op": "inconnu", "name": "<Element>"}`: a construct this code does not know (reported at import);
  it evaluates to false, so unknown content stays hidden rather than shown to everyone.

A `<Condition>` with several children means all of them (`et`).
"""

from collections.abc import Callable, Iterable
from typing import Any

from .nodes import Node, attr, elements

Expr = dict[str, Any]
LEAVES = ("estVrai", "estFaux", "estIndefini")
COMBINATORS = ("ou", "et")


def condition_parse(node: Node, *, warn: Callable[[str], None] | None = None) -> Expr:
    """Expression of a `<Condition>` element (or of one of its operators)."""
    if node["name"] == "Condition":
        args = [condition_parse(c, warn=warn) for c in elements(node)]
        return args[0] if len(args) == 1 else {"op": "et", "args": args}
    if node["name"] in LEAVES:
        return {"op": node["name"], "var": attr(node, "var")}
    if node["name"] in COMBINATORS:
        return {"op": node["name"], "args": [condition_parse(c, warn=warn) for c in elements(node)]}
    if warn:
        warn(node["name"])
    return {"op": "inconnu", "name": node["name"]}


def evaluate(expr: Expr, variables: dict[str, bool]) -> bool:
    """Truth of `expr` given the variables set by the selected choices.

    An unset variable is false (`estVrai` false, `estFaux` true); `estIndefini` is true only when no selected
    choice set the variable, to true or to false.
    """
    op = expr["op"]
    if op == "estVrai":
        return variables.get(expr["var"], False) is True
    if op == "estFaux":
        return variables.get(expr["var"], False) is False
    if op == "estIndefini":
        return expr["var"] not in variables
    if op == "ou":
        return any(evaluate(a, variables) for a in expr["args"])
    if op == "et":
        return all(evaluate(a, variables) for a in expr["args"])
    return False


def variables_of(expr: Expr) -> set[str]:
    """Every variable an expression reads."""
    if "var" in expr:
        return {expr["var"]}
    found: set[str] = set()
    for arg in expr.get("args", ()):
        found |= variables_of(arg)
    return found


def variables_set(choices: Iterable[dict[str, Any]]) -> dict[str, bool]:
    """Variables set by selected questionnaire choices (`sets_true` then `sets_false`, in choice order)."""
    variables: dict[str, bool] = {}
    for choice in choices:
        for var in choice.get("sets_true", ()):
            variables[var] = True
        for var in choice.get("sets_false", ()):
            variables[var] = False
    return variables
