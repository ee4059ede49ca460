"""Suggested pairs: high interdependence and a weak tie, each with its reasons and a score that adds up."""

from datetime import timedelta

from django.utils import timezone

from sanscouture.bodies.models import BodyUnit
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.shadowing.selectors import suggestions_for_body


def _row(kind, a, b, days_ago, n, **extra):  # noqa: ANN001, ANN201
    now = timezone.now()
    for i in range(n):
        at = now - timedelta(days=days_ago, minutes=i)
        Interaction.objects.create(
            kind=kind, from_body=a, to_body=b, at=at, day=at.date(), source=f"test:{kind}:{days_ago}:{i}", **extra
        )


def test_refused_handovers_make_a_suggestion_with_its_reasons_and_its_score(cast):
    caf, dep = cast.caf, cast.dep
    _row(InteractionKind.CASE_SHARED, caf, dep, 40, 3)
    _row(InteractionKind.HANDOVER_SENT, caf, dep, 30, 4)
    _row(InteractionKind.HANDOVER_ACCEPTED, caf, dep, 29, 2, delay_seconds=80 * 3600)
    _row(InteractionKind.HANDOVER_REFUSED, caf, dep, 29, 2, delay_seconds=3600)
    today = timezone.localdate()
    (s,) = [s for s in suggestions_for_body(body=caf, today=today) if s.other_body == dep]
    f = s.figures
    assert (f["dossiers_partages"], f["orientations"], f["taux_refus"]) == (3, 4, 0.5)
    assert s.interdependence == 3 + 4 + min(f["communes_competences_liees"], 20) / 2
    # The weakest of: 50 % refused, 80 h ≥ 72 h (1.0), few exchanges (2 accepted: 1 / 1.4).
    assert s.weakness == 1.0 and s.score == round(s.interdependence, 2)
    text = " ".join(s.reasons)
    assert "3 dossiers travaillés ensemble" in text and "4 orientations" in text
    assert "50 % des orientations entre vous sont refusées (2 sur 4)" in text
    assert "80 heures (médiane)" in text
    assert [a.user for a in s.agents] == [cast.dep_agent]  # the opted-in agent on the other side


def test_a_strong_tie_is_not_suggested_and_old_interactions_do_not_count(cast):
    caf, dep = cast.caf, cast.dep
    _row(InteractionKind.HANDOVER_SENT, caf, dep, 500, 10)  # more than a year ago: not counted
    before = [s for s in suggestions_for_body(body=caf, today=timezone.localdate()) if s.other_body == dep]
    # Routing alone ties them (the CAF's benefits and the Département's social action on the same communes).
    assert [s.figures["orientations"] for s in before] in ([], [0])
    _row(InteractionKind.HANDOVER_SENT, caf, dep, 10, 3)
    _row(InteractionKind.HANDOVER_ACCEPTED, caf, dep, 9, 3, delay_seconds=3600)
    _row(InteractionKind.MESSAGE, caf, dep, 8, 40)  # many direct exchanges, fast acceptances, nothing refused
    assert not [s for s in suggestions_for_body(body=caf, today=timezone.localdate()) if s.other_body == dep]


def test_two_services_of_one_body_are_suggested_an_internal_pair(cast):
    dep = cast.dep
    pmi = BodyUnit.objects.get(body=dep, name="Protection maternelle et infantile")
    rsa = BodyUnit.objects.create(body=dep, name="Insertion et RSA")
    _row(InteractionKind.HANDOVER_SENT, dep, dep, 20, 3, from_unit=pmi, to_unit=rsa)
    _row(InteractionKind.HANDOVER_REFUSED, dep, dep, 19, 1, from_unit=pmi, to_unit=rsa, delay_seconds=3600)
    internal = [s for s in suggestions_for_body(body=dep, today=timezone.localdate()) if s.internal]
    assert len(internal) == 1
    s = internal[0]
    assert {s.unit, s.other_unit} == {pmi, rsa}
    assert "dépendent l'un de l'autre : 3 orientations" in s.reasons[0]
    assert [a.user for a in s.agents] == [cast.dep_agent]  # opted in, in the PMI
