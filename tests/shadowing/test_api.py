"""The API of vis mon job: every step, and bad input answered with a stable code in the envelope, changing nothing."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from sanscouture.shadowing.models import Pair, Profile


def _client(referential, user) -> Client:  # noqa: ANN001
    client = Client()
    referential.login(client, user)
    return client


def _code(response) -> str:  # noqa: ANN001
    return response.json()["erreur"]["code"]


def test_every_step_over_the_api_and_the_refusals(cast, referential):
    caf = _client(referential, cast.caf_agent)
    dep = _client(referential, cast.dep_agent)
    caf_admin, dep_admin = _client(referential, cast.caf_admin), _client(referential, cast.dep_admin)
    url = "/api/v1/vis-mon-job"
    # Pairing with oneself: refused, nothing created.
    own = caf.post(f"{url}/binomes", {"inscription": cast.caf_profile.pk}, content_type="application/json")
    assert own.status_code == 400 and _code(own) == "binome_avec_soi_meme" and not Pair.objects.exists()
    created = caf.post(
        f"{url}/binomes", {"inscription": cast.dep_profile.pk, "message": "Bonjour"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pair = created.json()
    assert pair["statut"] == "proposed" and pair["b"]["structure"]["cle"] == "departement:34"
    pid = pair["id"]
    # Out of order: the administrator approves before the agent asked has accepted.
    early = caf_admin.post(f"{url}/binomes/{pid}/approbation")
    assert early.status_code == 409 and _code(early) == "etape_non_permise"
    assert dep.post(f"{url}/binomes/{pid}/acceptation").json()["statut"] == "accepted"
    # The Département's administrator does not see... it is a party: approves for the Département only.
    assert caf_admin.post(f"{url}/binomes/{pid}/approbation").json()["a"]["approuve"] is True
    approved = dep_admin.post(f"{url}/binomes/{pid}/approbation").json()
    assert approved["statut"] == "approved"
    today = timezone.localdate()
    past = caf.post(
        f"{url}/binomes/{pid}/dates",
        {"debut": str(today - timedelta(days=2)), "fin": str(today)},
        content_type="application/json",
    )
    assert past.status_code == 400 and _code(past) == "dates_passees"
    reversed_ = caf.post(
        f"{url}/binomes/{pid}/dates",
        {"debut": str(today + timedelta(days=5)), "fin": str(today + timedelta(days=3))},
        content_type="application/json",
    )
    assert reversed_.status_code == 400 and _code(reversed_) == "fin_avant_debut"
    assert Pair.objects.get(pk=pid).start is None  # nothing changed
    scheduled = dep.post(
        f"{url}/binomes/{pid}/dates",
        {"debut": str(today), "fin": str(today), "heure_debut": "09:30:00", "lieu": "Montpellier"},
        content_type="application/json",
    ).json()
    assert scheduled["statut"] == "scheduled" and scheduled["invitation"].endswith("/invitation.ics")
    assert caf.get(scheduled["invitation"]).status_code == 200
    assert caf.post(f"{url}/binomes/{pid}/realisation").json()["statut"] == "done"
    feedback = dep.post(
        f"{url}/binomes/{pid}/retour", {"texte": "Utile", "utilite": 4}, content_type="application/json"
    )
    assert feedback.status_code == 201 and feedback.json()["retours"][0]["utilite"] == 4
    # Each agent sees their own pair, an administrator their body's; a third body nothing.
    cpam = _client(referential, referential.agent("cpam:34", "admin", username="vmj-api-cpam"))
    assert cpam.get(f"{url}/binomes/{pid}").status_code == 404
    assert cpam.get(f"{url}/binomes").json() == []
    assert cpam.post(f"{url}/binomes/{pid}/approbation").status_code == 404
    assert [p["id"] for p in dep_admin.get(f"{url}/binomes").json()] == [pid]


def test_opting_in_and_out(cast, referential):
    caf_admin = _client(referential, cast.caf_admin)
    done = caf_admin.post(
        "/api/v1/vis-mon-job/inscription",
        {"metier": "Directrice", "a_montrer": "Le pilotage"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["metier"] == "Directrice"
    assert Profile.objects.filter(user=cast.caf_admin).count() == 1
    listed = caf_admin.get("/api/v1/vis-mon-job/inscriptions").json()
    assert {p["metier"] for p in listed} == {"Directrice", "Gestionnaire conseil", "Puéricultrice"}
    gone = caf_admin.post("/api/v1/vis-mon-job/inscription/retrait", {}, content_type="application/json")
    assert gone.json() == {"desinscrit": True} and not Profile.objects.filter(user=cast.caf_admin).exists()
    other = caf_admin.post(
        "/api/v1/vis-mon-job/inscription",
        {"structure": cast.dep.pk, "metier": "X", "a_montrer": "Y"},
        content_type="application/json",
    )
    assert other.status_code == 403 and _code(other) == "structure_non_concernee"
