"""The network's demo (`sanscouture demo`) meets the issue's "done when" on the demo territories."""

from io import StringIO

from django.core.management import call_command
from django.test import Client

from sanscouture.accounts.testing import login_verified
from sanscouture.bodies.models import Body
from sanscouture.network.models import Interaction


def _client(username):
    from django.contrib.auth import get_user_model

    client = Client(raise_request_exception=False)
    login_verified(client, get_user_model().objects.get(username=username))
    return client


def test_demo_network_of_the_herault_and_of_its_departement(referential):
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=StringIO())
    count = Interaction.objects.count()
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=StringIO())
    assert Interaction.objects.count() == count > 0  # idempotent
    caf, dep = Body.objects.get(key="caf:34"), Body.objects.get(key="departement:34")
    data = _client("demo-caf-34").get("/api/v1/reseau?territoire=departement:34").json()
    by_key = {s["cle"]: s for s in data["structures"]}
    isolated = [s["cle"] for s in data["structures"] if s["isolee"]]
    assert isolated == ["mdph:34"]
    # One broker explained: the CAF, the only link between the bodies of the births and a neighbouring mairie.
    assert by_key["caf:34"]["courtage"]["total"] > by_key["cpam:34"]["courtage"]["total"] > 0
    brokers = [line for line in data["explications"] if " fait le lien entre " in line]
    assert len(brokers) == 1 and brokers[0].startswith("CAF de l'Hérault fait le lien entre")
    assert "mairies" in brokers[0] and "départements" in brokers[0]
    assert any("MDPH de l'Hérault" in line and "aucune interaction" in line for line in data["explications"])
    tie = next(link for link in data["liens"] if {link["source"], link["cible"]} == {caf.pk, dep.pk})
    assert tie["refusees"] == 2 and tie["acceptees"] == 4 and tie["taux_refus"] == round(2 / 6, 3)
    assert tie["delai_median_acceptation_heures"] == 25.0  # median of 4, 20, 30 and 52 hours
    assert tie["confiance"] is not None
    internal = _client("demo-departement-34").get(f"/api/v1/structures/{dep.pk}/reseau-interne").json()
    names = {s["nom"] for s in internal["services"]}
    assert {"Protection maternelle et infantile", "Insertion et RSA", "Direction des routes"} <= names
    [link] = internal["liens"]
    assert link["orientations"] == 1 and link["acceptees"] == 1
