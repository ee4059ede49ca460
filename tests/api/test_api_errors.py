"""Validation errors of the API in French: each detail says, from pydantic's stable error type, what the field
expects, and names the field as the caller sends it; list bounds are refused with a stable code."""

from datetime import date

import pytest
from django.test import Client

from sanscouture.accounts.services import api_token_create
from sanscouture.apicontract import FALLBACK, french_detail
from sanscouture.cases.models import CaseEvent, Task, TaskStatus
from sanscouture.cases.services import declaration_submit

JOURNEY = "/api/v1/moments-de-vie/je-demenage/parcours"
ENGLISH = ("Input should", "should have", "Field required", "Extra inputs", "valid integer")


@pytest.fixture
def caf(referential):
    agent = referential.agent("caf:34", role="admin")
    _, raw = api_token_create(body=referential.body("caf:34"), name="t", role="agent", created_by=agent)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def details(response, status=422):
    data = response.json()
    assert response.status_code == status, data
    assert data["erreur"]["code"] == "requete_invalide"
    assert data["erreur"]["message"] == "La requête contient des valeurs invalides."
    for detail in data["erreur"]["details"]:
        assert not any(english in detail["message"] for english in ENGLISH), detail
    return {d["champ"]: d for d in data["erreur"]["details"]}


def test_an_impossible_date_is_explained_in_french(db):
    got = details(Client().get("/api/v1/communes/34274/competences?date=2026-13-01"))
    assert got["date"]["code"] == "date_from_datetime_parsing"
    assert got["date"]["message"] == "Une date valide est attendue, au format AAAA-MM-JJ (par exemple 2026-01-31)."


def test_journey_body_fields_are_named_as_sent_and_explained_in_french(db):
    got = details(Client().post(JOURNEY, {"commune": 34274}, content_type="application/json"))
    assert got == {
        "commune": {"champ": "commune", "code": "string_type", "message": "Une chaîne de caractères est attendue."}
    }
    got = details(Client().post(JOURNEY, {"commune": "3" * 100_000, "choix": [7]}, content_type="application/json"))
    assert got["commune"]["code"] == "string_too_long"
    assert got["commune"]["message"] == "Au plus 120 caractères sont acceptés."
    assert got["choix.0"]["code"] == "string_type"
    got = details(Client().post(JOURNEY, {}, content_type="application/json"))
    assert got["commune"]["message"] == "Ce champ est obligatoire."


def test_a_wrong_task_status_lists_the_accepted_values_and_changes_nothing(referential, caf):
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=["locataire", "francais", "oui", "salarie-du-secteur-prive"],
        commune="34274",
        commune_from="44195",
        values={"nom": "Martin", "prenoms": "Léa", "courriel": "lea.martin@example.org"},
        consents=[],
        today=date(2026, 6, 1),
    )
    task = case.tasks.get(body__key="caf:34")
    events = CaseEvent.objects.count()
    response = caf.post(
        f"/api/v1/taches/{task.pk}/statut", {"statut": "fini", "urgence": 1}, content_type="application/json"
    )
    got = details(response)
    assert got["statut"]["code"] == "literal_error"
    assert got["statut"]["valeurs"] == ["todo", "in_progress", "done", "not_applicable"]
    assert "« done »" in got["statut"]["message"] and "« not_applicable »" in got["statut"]["message"]
    assert got["urgence"]["code"] == "extra_forbidden"
    assert got["urgence"]["message"] == "Ce champ n'est pas accepté ici."
    assert Task.objects.get(pk=task.pk).status == TaskStatus.TODO and CaseEvent.objects.count() == events


def test_query_filters_are_named_as_sent(caf):
    got = details(caf.get("/api/v1/taches", {"statut": "fini", "limite": "beaucoup", "echeance_avant": "hier"}))
    assert got["statut"]["code"] == "enum" and "« in_progress »" in got["statut"]["message"]
    assert got["limite"]["message"] == "Un nombre entier est attendu."
    assert got["echeance_avant"]["message"].startswith("Une date valide est attendue")


@pytest.mark.parametrize("name", ["limite", "decalage"])
def test_an_integer_beyond_64_bits_names_the_query_parameter(caf, name):
    response = caf.get(f"/api/v1/taches?{name}=999999999999999999999")
    error = response.json()["erreur"]
    assert response.status_code == 400 and error["code"] == "entier_hors_limites"
    assert f"« {name} »" in error["message"] and "filters" not in error["message"]
    assert error["details"] == {"parametre": name}


@pytest.mark.parametrize(
    ("path", "name", "bound"),
    [
        ("/api/v1/taches?limite=-1", "limite", "1"),
        ("/api/v1/taches?limite=0", "limite", "1"),
        ("/api/v1/taches?decalage=-1", "decalage", "0"),
        ("/api/v1/contrats?limite=-1", "limite", "1"),
        ("/api/v1/contrats?decalage=-5", "decalage", "0"),
        ("/api/v1/communes?q=montpellier&limite=-1", "limite", "1"),
        ("/api/v1/opendata/data-inclusion/structures?limite=-1", "limite", "1"),
        ("/api/v1/opendata/data-inclusion/services?decalage=-1", "decalage", "0"),
    ],
)
def test_a_negative_page_is_refused_with_a_stable_code(caf, path, name, bound):
    response = caf.get(path)
    error = response.json()["erreur"]
    assert response.status_code == 400, error
    assert error["code"] == "entier_hors_limites" and error["details"] == {"parametre": name}
    assert error["message"] == (
        f"Le paramètre « {name} » est hors limites. La valeur doit être supérieure ou égale à {bound}."
    )


def test_a_valid_page_still_answers(caf):
    assert caf.get("/api/v1/taches?limite=1&decalage=0").status_code == 200
    assert caf.get("/api/v1/taches?limite=5000").status_code == 200  # above the maximum: capped, as documented


def test_an_unknown_error_type_gets_the_french_fallback():
    detail = french_detail({"loc": ("body", "x"), "type": "something_new", "msg": "Something new", "ctx": {}})
    assert detail == {"champ": "x", "code": "something_new", "message": FALLBACK}
    # A known type whose context lacks a value still answers in French.
    assert french_detail({"loc": ("query", "n"), "type": "less_than_equal"})["message"] == FALLBACK
