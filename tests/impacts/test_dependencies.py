"""The reviewed dependencies file: every code exists, every edge says why and on which text."""

from sanscouture.bodies.services import pivot_labels
from sanscouture.competences.catalogue import catalogue
from sanscouture.impacts.dependencies import PIVOT_PREFIX, dependencies


def _known(subject: str) -> bool:
    if subject.startswith(PIVOT_PREFIX):
        return subject.removeprefix(PIVOT_PREFIX) in pivot_labels()
    return subject in catalogue().competences


def test_every_edge_names_known_codes_a_reason_and_a_source():
    edges = [e for edges in dependencies().values() for e in edges]
    assert len(edges) >= 20
    assert [e.source for e in edges if not _known(e.source)] == []
    assert [e.target for e in edges if not _known(e.target)] == []
    assert [e for e in edges if len(e.reason) < 20 or not e.reference.code or not e.reference.article] == []
    assert [e for e in edges if e.source == e.target] == []
    pairs = [(e.source, e.target) for e in edges]
    assert len(pairs) == len(set(pairs)), "lien en double"


def test_the_issue_examples_are_there():
    targets = {s: {e.target for e in dependencies().get(s, ())} for s in dependencies()}
    assert {"transport-scolaire", "dechets-menagers", "sdis"} <= targets["voirie-communale"]
    assert {"transport-scolaire", "dechets-menagers", "sdis"} <= targets["routes-departementales"]
    assert {"pivot:ccas", "pivot:msap"} <= targets["pivot:caf"]
    assert {"ccas", "action-sociale-departement"} <= targets["prestations-familiales"]
