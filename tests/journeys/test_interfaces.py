"""The journey through the CLI (in process) and the REST API (real HTTP, real server)."""

import io
import json
import urllib.request
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanscouture.journeys.schemas import JourneyOut

TENANT = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


def test_cli_prints_the_journey_and_its_bodies(referential):
    out = io.StringIO()
    call_command(
        "parcours",
        "je-demenage",
        "--commune",
        "Saint-Martin-de-Londres",
        "--choix",
        *TENANT,
        "--date",
        "2026-06-01",
        stdout=out,
    )
    text = out.getvalue()
    assert "Mairie de Saint-Martin-de-Londres" in text and "CAF de l'Hérault" in text
    assert "CC du Grand Pic Saint-Loup" in text and "F2604" not in text


def test_cli_json_has_the_api_shape_and_bad_choices_are_french_errors(referential):
    out = io.StringIO()
    call_command("parcours", "F14128", "--commune", "34274", "--choix", *TENANT, "--json", stdout=out)
    JourneyOut.model_validate(json.loads(out.getvalue()))
    with pytest.raises(CommandError, match="Deux réponses à la même question"):
        call_command(
            "parcours",
            "je-demenage",
            "--commune",
            "34274",
            "--choix",
            "locataire",
            "proprietaire",
            stdout=io.StringIO(),
        )
    questions = io.StringIO()
    call_command("parcours", "je-demenage", "--questions", stdout=questions)
    assert "--choix salarie-du-secteur-prive" in questions.getvalue()


def post(server, path, payload, token=None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(server.url + path, data=json.dumps(payload).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_api_lists_life_events_with_their_publication_id(server):
    status, body = server.get("/api/v1/moments-de-vie")
    events = {e["publication"]: e for e in json.loads(body)}
    assert status == 200 and len(events) == 25
    assert events["F14128"]["id"] == "je-demenage" and events["F14128"]["questionnaire"]


def test_api_questionnaire_has_stable_ids_and_published_titles(server):
    status, body = server.get("/api/v1/moments-de-vie/je-demenage")
    data = json.loads(body)
    assert status == 200 and [q["id"] for q in data["questions"]] == [
        "situation-avant-le-demenagement",
        "nationalite",
        "avez-vous-des-enfants-a-charge",
        "situation-professionnelle",
    ]
    titles = [c["titre"] for q in data["questions"] for c in q["choix"]]
    assert titles == [
        "Locataire",
        "Propriétaire",
        "Français",
        "Européen (UE)",
        "Étranger (autre pays)",
        "Oui",
        "Non",
        "Salarié du secteur privé",
        "Agent public",
        "Demandeur d'emploi",
        "Retraité",
    ]


def test_api_journey_routes_each_step(server):
    status, data = post(
        server,
        "/api/v1/moments-de-vie/je-demenage/parcours",
        {"commune": "34274", "choix": TENANT, "date": "2026-06-01"},
    )
    assert status == 200
    JourneyOut.model_validate(data)
    fiches = {f["id"] for s in data["etapes"] for f in s["fiches"]}
    assert "F1168" in fiches and "F2604" not in fiches
    bodies = {(o["pivot"], b["nom"]) for s in data["etapes"] for o in s["guichets"] for b in o["structures"]}
    assert ("mairie", "Mairie de Saint-Martin-de-Londres") in bodies and ("caf", "CAF de l'Hérault") in bodies
    waste = [c for s in data["etapes"] for c in s["competences"] if c["fiche"] == "F22730"]
    assert waste[0]["structures"][0]["nom"] == "CC du Grand Pic Saint-Loup" and waste[0]["differe_du_guichet"]
    assert [j["publication"] for j in data["parcours_lies"]] == ["F601"]
    # The official content as a typed tree, not flat strings: sub-chapters hold paragraphs whose runs keep the
    # links where they are in the sentence.
    address = next(s for s in data["etapes"] if s["titre"] == "Déclaration du changement d'adresse")
    sub = [n for n in address["contenu"] if n["type"] == "souschapitre"]
    assert [n["titre"] for n in sub][:2] == ["Administrations", "Organismes sociaux"]
    runs = sub[0]["enfants"][0]["enfants"]
    assert [r["type"] for r in runs] == ["texte", "lien", "texte"] and runs[1]["fiche"] == "F383"
    offices = [o for s in data["etapes"] for o in s["guichets"]]
    assert {o["classe"] for o in offices} <= {"guichet", "reseau", "profession", "annuaire"}
    assert all(o["structures"] or o["lien"].startswith("https://") for o in offices)
    assert data["avant_de_commencer"]["services_en_ligne"] and data["questions_sans_reponse"] == []
    # The schema is recursive in the OpenAPI document.
    status, raw = server.get("/api/v1/openapi.json")
    schema = json.loads(raw)
    node = schema["components"]["schemas"]["NoeudOut"]
    assert node["properties"]["enfants"]["items"] == {"$ref": "#/components/schemas/NoeudOut"}


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        (
            "/api/v1/moments-de-vie/je-demenage/parcours",
            {"commune": "34274", "choix": ["inconnu"]},
            400,
            "choix_inconnu",
        ),
        (
            "/api/v1/moments-de-vie/je-demenage/parcours",
            {"commune": "34274", "choix": ["locataire", "proprietaire"]},
            400,
            "choix_incompatibles",
        ),
        ("/api/v1/moments-de-vie/je-demenage/parcours", {"commune": "99999", "choix": []}, 404, "commune_inconnue"),
        ("/api/v1/moments-de-vie/je-gagne-au-loto/parcours", {"commune": "34274"}, 404, "moment_de_vie_inconnu"),
        ("/api/v1/moments-de-vie/je-demenage/parcours", {"choix": []}, 422, "requete_invalide"),
        (
            "/api/v1/moments-de-vie/je-demenage/parcours",
            {"commune": "34274", "choix": ["x"] * 51},
            422,
            "requete_invalide",
        ),
    ],
)
def test_api_bad_journey_requests(server, path, payload, status, code):
    got, data = post(server, path, payload)
    assert got == status and data["erreur"]["code"] == code, data


def test_local_steps_through_the_api(referential, client):
    agent = referential.agent("epci:200022986", role="referent")
    pic = referential.body("epci:200022986")
    payload = {
        "structure": pic.pk,
        "moment_de_vie": "F16225",
        "titre": "Relais petite enfance intercommunal",
        "lien": "https://www.cc-grandpicsaintloup.fr",
        "debut": "2025-01-01",
    }
    assert client.post("/api/v1/etapes-locales", payload, content_type="application/json").status_code == 401
    referential.login(client, agent)
    response = client.post("/api/v1/etapes-locales", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    step_id = response.json()["id"]
    listed = client.get("/api/v1/etapes-locales?moment_de_vie=j-attends-un-enfant").json()
    assert [s["titre"] for s in listed] == ["Relais petite enfance intercommunal"]
    bad = client.post(
        "/api/v1/etapes-locales", payload | {"lien": "javascript:alert(1)"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["erreur"]["code"] == "etape_locale_invalide"
    other = referential.agent("mairie:34172", role="admin")
    referential.login(client, other)
    refused = client.post("/api/v1/etapes-locales", payload, content_type="application/json")
    assert refused.status_code == 403
    assert client.post(f"/api/v1/etapes-locales/{step_id}/retrait").status_code == 403
    referential.login(client, agent)
    assert client.post(f"/api/v1/etapes-locales/{step_id}/retrait").status_code == 200
    assert client.get("/api/v1/etapes-locales?moment_de_vie=F16225").json() == []


def test_a_local_step_shows_at_once_in_every_server_process_and_goes_when_withdrawn(server, demo):
    """Journeys keep the catalogue in each process; a local step added or withdrawn through one process is
    seen by the next journey whichever process answers (two workers, several requests)."""
    token = demo["api_tokens"]["epci:200022986"]
    pic = next(a["body"]["id"] for a in demo["agents"] if a["body"]["cle"] == "epci:200022986")
    title = f"Relais petite enfance — essai {uuid.uuid4().hex[:8]}"

    def local_titles() -> set[str]:
        seen = set()
        for _ in range(4):
            status, data = post(server, "/api/v1/moments-de-vie/F16225/parcours", {"commune": "34274", "choix": []})
            assert status == 200, data
            seen |= {s["titre"] for s in data["etapes"]}
        return seen

    assert title not in local_titles()
    status, step = post(
        server,
        "/api/v1/etapes-locales",
        {"structure": pic, "moment_de_vie": "F16225", "titre": title, "debut": "2025-01-01"},
        token=token,
    )
    assert status == 201, step
    assert title in local_titles()
    status, _ = post(server, f"/api/v1/etapes-locales/{step['id']}/retrait", {}, token=token)
    assert status == 200
    assert title not in local_titles()
