"""The gatherings' demo meets the issue's « done when »: a gathering of the CC Estuaire et Sillon invites the agents
of its communes and partner bodies, who reply; after the demo's simulated months the effect panel shows before/after
figures."""

from io import StringIO

from django.core.management import call_command
from django.test import Client

from sanscouture.accounts.testing import login_verified
from sanscouture.gatherings.models import Gathering, Invitation


def _client(username):
    from django.contrib.auth import get_user_model

    client = Client(raise_request_exception=False)
    login_verified(client, get_user_model().objects.get(username=username))
    return client


def test_demo_gathering_replies_and_effect(referential):
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=StringIO())
    counts = (Gathering.objects.count(), Invitation.objects.count())
    call_command("demo", mot_de_passe="demo-motdepasse-solide-42", stdout=StringIO())
    assert (Gathering.objects.count(), Invitation.objects.count()) == counts == (2, counts[1])  # idempotent
    cc = _client("demo-cc-estuaire-sillon")
    listed = cc.get("/api/v1/rencontres").json()
    past = next(g for g in listed if g["titre"] == "Fête des voisins au travail")
    detail = cc.get(f"/api/v1/rencontres/{past['id']}").json()
    invited = {s["structure"]["cle"] for s in detail["structures_invitees"]}
    assert {"epci:200072734", "mairie:44195", "mairie:44089", "caf:44", "departement:44"} <= invited
    assert detail["reponses"]["oui"] == 4 and detail["reponses"]["peut_etre"] == 1
    upcoming = next(g for g in listed if g["titre"] != "Fête des voisins au travail")
    assert upcoming["confirmes"] == 3 and upcoming["liste_attente"] == 1
    # The effect panel: the gathering, with figures before and after, beside comparable ties.
    effect = cc.get("/api/v1/rencontres/effet").json()
    [event] = [e for e in effect["evenements"] if e["ref"] == f"gathering:{past['id']}"]
    three = event["fenetres"][0]
    assert three["mois"] == 3 and event["liens_comparables"] > 0
    assert three["suivis"]["avant"]["interactions"] > 0 and three["suivis"]["apres"]["interactions"] > 0
    assert three["suivis"]["apres"]["par_lien_par_mois"] > three["suivis"]["avant"]["par_lien_par_mois"]
    assert three["comparables"]["avant"]["interactions"] > 0
    assert three["difference_des_differences"]["par_lien_par_mois"] is not None
    assert any("tendances parallèles" in c for c in event["precautions"])
    # The territory, aggregated, for any agent of the département.
    territory = _client("demo-caf-44").get("/api/v1/rencontres/effet/territoire").json()
    assert territory["territoire"] == "departement:44" and territory["agrege"]["rencontres"] == 1
    page = _client("demo-cc-estuaire-sillon").get("/rencontres/effet/").content.decode()
    assert "Différence des différences" in page and "Fête des voisins au travail" in page
    # About a hundred days ago: the 6-month « after » window is not over yet.
    assert "pas encore disponible : moins de 6 mois" in page and "moins de 3 mois" not in page
    listed_page = cc.get("/rencontres/").content.decode().split('id="rencontres-passees"')[1]
    row = listed_page.split(f'data-rencontre="{past["id"]}"')[1].split("</tr>")[0]
    assert ">Tenue</span>" in row and "Prévue" not in row
