"""The REST API over real HTTP, against the real server (gunicorn) on the full national referential."""

import json
import urllib.request

import pytest

from sanscouture.competences.schemas import CommuneCompetencesOut


def get_json(server, path):
    status, body = server.get(path)
    return status, json.loads(body)


def test_healthz_answers_once_ready(server):
    assert server.get("/healthz")[0] == 200


def test_commune_with_its_epci_departement_region_population_and_postcodes(server):
    status, data = get_json(server, "/api/v1/communes/34274")
    assert status == 200
    assert data["nom"] == "Saint-Martin-de-Londres" and data["resolution"] == "current" and data["message"] == ""
    assert data["epci"] == {"code": "200022986", "nom": "CC du Grand Pic Saint-Loup"}
    assert data["departement"] == {"code": "34", "nom": "Hérault"}
    assert data["region"] == {"code": "76", "nom": "Occitanie"}
    assert data["codes_postaux"] == ["34380"] and data["population"] > 2000


@pytest.mark.parametrize(
    ("code", "current", "resolution"),
    [
        ("34093", "34144", "delegated"),  # Dio-et-Valquières, commune déléguée of Lunas-les-Châteaux
        ("44160", "44003", "former"),  # Saint-Géréon, merged into Ancenis-Saint-Géréon
        ("75101", "75056", "arrondissement"),
        ("69232", "69123", "former"),
    ],
)
def test_old_delegated_and_arrondissement_codes_answer_with_the_current_commune_and_say_so(
    server, code, current, resolution
):
    status, data = get_json(server, f"/api/v1/communes/{code}")
    assert status == 200
    assert data["code"] == current and data["code_demande"] == code and data["resolution"] == resolution
    assert code in data["message"] and current in data["message"]


def test_commune_without_epci_has_none(server):
    status, data = get_json(server, "/api/v1/communes/29155")
    assert status == 200 and data["epci"] is None


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/communes/ABC", 400, "code_commune_invalide"),
        ("/api/v1/communes/99999", 404, "commune_inconnue"),
        ("/api/v1/communes/99999/competences", 404, "commune_inconnue"),
        ("/api/v1/communes/34274/competences?date=2010-01-01", 400, "date_hors_validite"),
        ("/api/v1/communes/34274/competences?date=demain", 422, "requete_invalide"),
        ("/api/v1/communes/34274/competences/inexistante", 404, "competence_inconnue"),
        ("/api/v1/communes/34274/guichets?pivot=imaginaire", 404, "pivot_inconnu"),
        ("/api/v1/communes/34274/guichets", 422, "requete_invalide"),
    ],
)
def test_bad_input_gets_a_structured_4xx_error_with_a_stable_code(server, path, status, code):
    got, data = get_json(server, path)
    assert got == status
    assert data["erreur"]["code"] == code and data["erreur"]["message"]


def test_every_competence_with_its_body_and_reason(server):
    status, data = get_json(server, "/api/v1/communes/34274/competences?date=2026-06-01")
    assert status == 200 and data["nom"] == "Saint-Martin-de-Londres"
    CommuneCompetencesOut.model_validate(data)  # the hand-joined JSON matches the published schema
    by_code = {c["competence"]: c for c in data["competences"]}
    assert len(by_code) >= 40
    dechets = by_code["dechets-menagers"]
    assert [s["nom"] for s in dechets["structures"]] == ["CC du Grand Pic Saint-Loup"]
    assert dechets["raison"]["type"] == "loi" and any("L5214-16" in r for r in dechets["raison"]["references"])
    assert [s["nom"] for s in by_code["lycees"]["structures"]] == ["Région Occitanie"]
    assert "Département de l'Hérault" in [s["nom"] for s in by_code["rsa"]["structures"]]


def test_an_arrondissement_answers_with_source_disagreement_and_verified_flag(server):
    """Issue 9: '75115' answers for Paris 15e; each answer says its source, what the law would say, and whether
    its references were checked."""
    status, data = get_json(server, "/api/v1/communes/75115/competences?date=2026-06-01")
    assert status == 200 and data["commune"] == "75115" and "arrondissement" in data["message"]
    CommuneCompetencesOut.model_validate(data)
    by_code = {c["competence"]: c for c in data["competences"]}
    assert [s["nom"] for s in by_code["etat-civil"]["structures"]] == ["Mairie du 15e arrondissement de Paris"]
    mobility = by_code["mobilite-aom"]
    assert [s["nom"] for s in mobility["structures"]] == ["Île-de-France Mobilités"]
    assert mobility["raison"]["type"] == "statut_particulier" and mobility["raison"]["references_verifiees"]
    assert mobility["raison"]["desaccord"] == "La loi désignerait : Région Île-de-France."
    assert mobility["raison"]["autres_sources"][0]["structures"][0]["nom"] == "Région Île-de-France"
    assert [s["nom"] for s in by_code["sdis"]["structures"]] == ["Brigade de sapeurs-pompiers de Paris"]
    assert by_code["titres-sejour"]["raison"]["references_verifiees"]  # CESEDA R431-20, CGCT L2512-13
    # Checked since (SOURCE.md): the law is cited, with the flag.
    housing = by_code["logement-social-aides-pierre"]["raison"]
    assert housing["references_verifiees"] and "selon la loi (CCH art. L301-5-1" in housing["explication"]
    # Sytral rests on Code des transports L1243-1, not read yet: said by the flag, never "selon la loi".
    status, lyon = get_json(server, "/api/v1/communes/69123/competences/mobilite-aom")
    assert status == 200 and lyon["structures"][0]["cle"] == "sytral"
    assert not lyon["raison"]["references_verifiees"] and "selon la loi" not in lyon["raison"]["explication"]
    status, one = get_json(server, "/api/v1/communes/75115/competences/titres-sejour")
    assert status == 200 and one["structures"][0]["nom"] == "Préfecture de police"


def test_a_former_commune_answers_for_itself_at_a_date_before_its_merger(server):
    status, data = get_json(server, "/api/v1/communes/14300/competences/etat-civil?date=2020-01-01")
    assert status == 200 and [s["nom"] for s in data["structures"]] == ["Mairie de Gerrots"]
    status, data = get_json(server, "/api/v1/communes/14300/competences/etat-civil?date=2026-06-01")
    assert status == 200 and [s["nom"] for s in data["structures"]] == ["Mairie de Victot-en-Auge"]


def test_one_competence_and_the_bodies_for_a_pivot(server):
    status, data = get_json(server, "/api/v1/communes/44195/competences/dechets-menagers")
    assert status == 200 and data["structures"][0]["nom"] == "CC Estuaire et Sillon"
    status, data = get_json(server, "/api/v1/communes/34274/guichets?pivot=caf")
    assert status == 200
    assert [s["nom"] for s in data["structures"]] == ["CAF de l'Hérault"] and data["raison"]["explication"]


def test_search_by_name_and_postcode(server):
    status, data = get_json(server, "/api/v1/communes?q=savenay")
    assert status == 200 and data[0]["code"] == "44195"
    status, data = get_json(server, "/api/v1/communes?q=34380")
    assert "34274" in [c["code"] for c in data]
    status, data = get_json(server, "/api/v1/communes?q=ile%20d%27yeu")
    assert data[0]["nom"] == "L'Île-d'Yeu"


def test_search_is_the_pages_lookup_postcode_first_arrondissements_typos(server):
    status, data = get_json(server, "/api/v1/communes?q=13008")
    assert status == 200
    assert [(c["nom"], c["correspondance"]) for c in data] == [
        ("Marseille 8e Arrondissement", "code_postal"),
        ("Aurons", "code_insee"),
    ]
    assert data[0]["code"] == "13208" and data[0]["commune"] == "13055" and data[0]["codes_postaux"] == ["13008"]
    status, data = get_json(server, "/api/v1/communes?q=Paris%2015e")
    assert (data[0]["code"], data[0]["commune"]) == ("75115", "75056")
    status, data = get_json(server, "/api/v1/communes?q=lhay%20les%20roses")
    assert (data[0]["code"], data[0]["correspondance"]) == ("94038", "nom")
    status, data = get_json(server, "/api/v1/communes?q=Montpelier")
    assert (data[0]["nom"], data[0]["correspondance"]) == ("Montpellier", "approchant")


def test_catalogue_and_pivots_are_listed(server):
    status, data = get_json(server, "/api/v1/competences")
    assert status == 200 and len(data) >= 40
    assert all(c["references"] for c in data)
    status, data = get_json(server, "/api/v1/pivots")
    assert {"caf", "cpam", "mairie", "maison_handicapees"} <= {p["code"] for p in data}


def test_openapi_is_published_at_api_docs(server):
    with urllib.request.urlopen(server.url + "/api/docs", timeout=10) as resp:  # noqa: S310 (loopback)
        assert resp.status == 200 and resp.url.endswith("/api/v1/docs")
    status, spec = get_json(server, "/api/v1/openapi.json")
    assert status == 200
    assert "/api/v1/communes/{code}/competences" in spec["paths"]
    assert "/api/v1/communes/{code}/guichets" in spec["paths"]


def test_writing_a_declaration_requires_authentication(server):
    req = urllib.request.Request(
        server.url + "/api/v1/declarations", method="POST", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)  # noqa: S310 (loopback)
    assert exc.value.code == 401
    assert json.loads(exc.value.read())["erreur"]["code"] == "non_authentifie"


def _body(server, key):
    out = server.manage(
        "shell", "-c", f"from sanscouture.bodies.models import Body; print(Body.objects.get(key='{key}').pk)"
    )
    return int(out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("key", "count", "member", "absent"),
    [
        ("epci:200022986", 36, "34274", "34172"),  # CC du Grand Pic Saint-Loup
        ("departement:69", None, "69264", "69123"),  # Rhône: not the communes of the Métropole de Lyon
        ("epci:200046977", None, "69123", "69264"),  # Métropole de Lyon
        ("caf:971", None, "97801", "97209"),  # CAF de la Guadeloupe also serves Saint-Martin
        ("mairie:34274", 1, "34274", "34172"),
        # Issue 9: the bodies a regime designates serve the communes of their territory.
        ("idfm", 1266, "75056", "34274"),
        ("bspp", None, "93066", "95018"),
        ("mairie_arrdt:75115", 1, "75115", "75116"),
    ],
)
def test_a_structure_says_which_communes_it_serves_and_what_is_unknown(server, key, count, member, absent):
    status, data = get_json(server, f"/api/v1/structures/{_body(server, key)}")
    assert status == 200 and data["cle"] == key and data["fondement"]
    assert data["pivots"] or key in ("idfm", "bspp")  # no type of office in the Annuaire for these
    assert member in data["communes_desservies"] and absent not in data["communes_desservies"]
    if count is not None:
        assert data["nombre_communes_desservies"] == count
    # Nothing imported from the Annuaire yet: contacts are unknown, not invented.
    assert data["contact"] == {
        "adresses": None,
        "telephones": None,
        "courriels": None,
        "sites": None,
        "horaires": None,
        "fiche_annuaire": None,
    }


def test_unknown_structure_is_a_structured_404(server):
    status, data = get_json(server, "/api/v1/structures/987654321")
    assert status == 404 and data["erreur"]["code"] == "introuvable"
