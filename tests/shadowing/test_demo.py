"""« Vis mon job »'s demo meets the issue's « done when » on the demo territories."""

import json
from io import StringIO

from django.core.management import call_command

from sanscouture.network.models import Interaction
from sanscouture.shadowing.models import Feedback, Pair, PairStatus


def _demo() -> dict:
    out = StringIO()
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", json=True, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_demo_pairs_of_savenay_and_of_the_herault(referential):
    first = _demo()
    again = _demo()
    assert first["vis_mon_job"] == again["vis_mon_job"]  # idempotent
    assert Pair.objects.count() == 2
    assert "demo-savenay-etat-civil" in {a["username"] for a in again["agents"]}
    savenay = Pair.objects.get(pk=first["vis_mon_job"]["binome_savenay"])
    assert savenay.internal and savenay.a_body.key == "mairie:44195" and savenay.status == PairStatus.DONE
    assert {savenay.a_unit.name, savenay.b_unit.name} == {"Accueil – France Services", "État civil et élections"}
    assert savenay.reasons and "refusées" in " ".join(savenay.reasons)
    assert Feedback.objects.filter(pair=savenay).count() == 2
    assert Interaction.objects.filter(source=f"shadowing:{savenay.pk}", kind="gathering").count() == 1
    herault = Pair.objects.get(pk=first["vis_mon_job"]["binome_herault"])
    assert {herault.a_body.key, herault.b_body.key} == {"caf:34", "departement:34"}
    assert herault.status == PairStatus.APPROVED and herault.b_accepted_at and herault.approved_by_both
    assert any("Département de l'Hérault" in r for r in herault.reasons)
