"""The effect panel (issue 13, item 3) on a hand-made ledger: treated and comparable ties, per 30 days, before and
after, and the difference-in-differences; a body that took part in a pair is no comparable."""

from datetime import UTC, date, datetime, timedelta

from django.template.loader import render_to_string

from sanscouture.bodies.models import Body
from sanscouture.gatherings.effect import aggregate, effects, treatments_of_pairs
from sanscouture.gatherings.views import _rows as _table_rows
from sanscouture.network.models import Interaction, InteractionKind
from sanscouture.territories.models import Commune, CommuneKind

DAY = date(2026, 3, 1)


def _rows(a, b, days):
    for i, offset in enumerate(days):
        at = datetime.combine(DAY + timedelta(days=offset), datetime.min.time(), tzinfo=UTC)
        Interaction.objects.create(
            kind=InteractionKind.CASE_SHARED,
            source=f"case:test-{a.pk}-{b.pk}-{i}",
            from_body=a,
            to_body=b,
            at=at,
            day=at.date(),
        )


def test_difference_in_differences_of_a_pair_between_two_bodies(referential):
    cces, savenay = referential.body("epci:200072734"), referential.body("mairie:44195")
    malville, campbon = referential.body("mairie:44089"), referential.body("mairie:44025")
    _rows(cces, savenay, [-30, -120, 10, 20, 40, 80])  # treated: 1 before, 4 after within 3 months
    _rows(cces, malville, [-20, -40, 15, 60])  # a comparable tie: 2 before, 2 after
    # A gathering's own interaction is not counted.
    Interaction.objects.create(
        kind=InteractionKind.GATHERING,
        source="gathering:999",
        from_body=cces,
        to_body=savenay,
        at=datetime(2026, 3, 5, tzinfo=UTC),
        day=date(2026, 3, 5),
    )
    pairs = [
        {"id": 1, "interne": False, "structure_a": cces, "structure_b": savenay, "fin": DAY},
        # Campbon took part in a pair too: it is not a comparable body.
        {"id": 2, "interne": False, "structure_a": campbon, "structure_b": referential.body("caf:44"), "fin": DAY},
        {"id": 3, "interne": True, "structure_a": savenay, "structure_b": savenay, "fin": DAY},
    ]
    treatments = treatments_of_pairs(pairs)
    assert [t.ref for t in treatments] == ["pair:1", "pair:2"]  # the internal pair is read in the internal network
    [panel, _] = effects(treatments, pairs=treatments, today=date(2026, 12, 1))
    assert panel["ref"] == "pair:1" and panel["liens_suivis"] == 1
    three = panel["fenetres"][0]
    treated, control = three["suivis"], three["comparables"]
    assert (treated["avant"]["interactions"], treated["apres"]["interactions"]) == (1, 4)
    assert (control["avant"]["interactions"], control["apres"]["interactions"]) == (2, 2)
    assert treated["apres"]["par_lien_par_mois"] == round(4 * 30 / 91, 3)
    # Comparable ties: the intercommunalité with the other mairies of the CC that took part in nothing, and Savenay
    # with the other intercommunalités of Loire-Atlantique; never Campbon.
    n = panel["liens_comparables"]
    communes = Commune.objects.filter(kind=CommuneKind.CURRENT)
    epcis = Body.objects.filter(
        kind="epci", epci_id__in=communes.filter(departement_id="44").values("epci_id")
    ).exclude(pk=cces.pk)
    mairies = Body.objects.filter(kind="mairie", commune__epci_id="200072734").exclude(pk__in=[savenay.pk, campbon.pk])
    assert n == epcis.count() + mairies.count() and mairies.count() == 9 and control["avant"]["liens"] == n
    did = three["difference_des_differences"]["par_lien_par_mois"]
    assert did == round((round(4 * 30 / 91, 3) - round(1 * 30 / 91, 3)) - 0, 3)
    six = panel["fenetres"][1]
    assert six["suivis"]["avant"]["interactions"] == 2  # the one 120 days before counts at 6 months
    assert any("tendances parallèles" in c for c in panel["precautions"])


def test_a_window_not_yet_over_gives_no_after_figures(referential):
    cces, savenay = referential.body("epci:200072734"), referential.body("mairie:44195")
    _rows(cces, savenay, [-30, -120, 10, 20, 40, 80, 95])
    pairs = [{"id": 1, "interne": False, "structure_a": cces, "structure_b": savenay, "fin": DAY}]
    # A hundred days later: the 3-month window is over, the 6-month one is not.
    [panel] = effects(treatments_of_pairs(pairs), today=DAY + timedelta(days=100))
    three, six = panel["fenetres"]
    assert three["apres_disponible"] and three["suivis"]["apres"]["interactions"] == 4  # day 95 is past 3 months
    assert not six["apres_disponible"] and six["apres"] is None and six["suivis"]["apres"] is None
    assert six["suivis"]["avant"]["interactions"] == 2  # the « before » figures are whole already
    assert all(v is None for v in six["difference_des_differences"].values())
    assert any("Moins de 6 mois" in c for c in panel["precautions"])
    assert not any("Moins de 3 mois" in c for c in panel["precautions"])
    territory = aggregate([panel])["fenetres"]
    assert [w["apres_disponible"] for w in territory] == [True, False]
    html = render_to_string("gatherings/_effect_table.html", {"rows": _table_rows(panel["fenetres"]), "id": "t"})
    six_rows = [row for row in html.split("<tr>")[2:] if row.startswith("<td>6 mois")]
    assert six_rows and all(row.count("pas encore disponible : moins de 6 mois") == 2 for row in six_rows)
    assert "moins de 3 mois" not in html
