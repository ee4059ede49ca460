"""Error pages (404, 403, 400, 500, CSRF failure): one French DSFR page each, through Django's handlers; /api/ keeps
its JSON envelope. Django's test client runs with DEBUG off, like production; the real server is checked too."""

import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views.defaults import permission_denied, server_error

DJANGO_DEFAULT = "The requested resource was not found on this server"


def text(response) -> str:  # noqa: ANN001
    return response.content.decode()


def assert_dsfr_in_french(html: str) -> None:
    assert '<html lang="fr"' in html and "dsfr.min.css" in html and 'class="fr-header"' in html
    assert DJANGO_DEFAULT not in html and "Not Found" not in html


def assert_404_page(response) -> str:  # noqa: ANN001
    assert response.status_code == 404
    html = text(response)
    assert_dsfr_in_french(html)
    assert "<h1>Page introuvable</h1>" in html and "n'existe pas, n'existe plus" in html
    assert 'class="fr-footer"' in html and 'href="/"' in html  # the product's shell, and a way on
    return html


def test_an_unknown_page_is_the_french_404_for_a_visitor(db, client: Client) -> None:  # noqa: ANN001
    html = assert_404_page(client.get("/page-qui-nexiste-pas/"))
    assert "Espace agent" in html and "Mes tâches" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/page-qui-nexiste-pas/",
        "/contrats/99999/",
        "/fiches/99999/",
        "/actions/99999/",
        "/vis-mon-job/99999/",
        "/rencontres/99999/",
        "/opendata/",
    ],
)
def test_an_agent_meets_the_same_404_with_a_way_to_their_tasks(referential, client: Client, path: str) -> None:
    referential.login(client, referential.agent("cpam:34", role="agent"))
    html = assert_404_page(client.get(path))
    assert 'href="/taches/"' in html and "Mes tâches" in html and 'id="qui-est-connecte"' in html


def test_a_body_outside_ones_administration_is_the_french_404(referential, client: Client) -> None:
    referential.login(client, referential.agent("cpam:34", role="agent"))
    assert_404_page(client.get(f"/structures/{referential.body('caf:34').pk}/agents/"))


def test_a_wrong_invitation_keeps_its_own_message_on_the_same_page(db, client: Client) -> None:  # noqa: ANN001
    response = client.get("/rencontres/invitation/abc/")
    assert response.status_code == 404 and DJANGO_DEFAULT not in text(response)
    assert_dsfr_in_french(text(response))
    response = client.get("/invitation/pas-un-jeton/")
    html = text(response)
    assert response.status_code == 404 and "<h1>Page introuvable</h1>" in html and "Ce lien d&#x27;invitation" in html
    assert "<title>Invitation introuvable — Sans Couture</title>" in html


def test_the_403_page_through_django_s_handler(db) -> None:  # noqa: ANN001
    request = RequestFactory().get("/admin/")
    request.user = AnonymousUser()
    request.csp_nonce = "n"
    response = permission_denied(request, PermissionDenied("technical detail"))
    html = response.content.decode()
    assert response.status_code == 403
    assert_dsfr_in_french(html)
    assert "<h1>Accès refusé</h1>" in html and "Vous n'avez pas le droit d'ouvrir cette page." in html
    assert "technical detail" not in html and "Espace agent" in html


def test_a_form_without_its_csrf_token_gets_the_french_page(db) -> None:  # noqa: ANN001
    response = Client(enforce_csrf_checks=True).post("/connexion/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = text(response)
    assert_dsfr_in_french(html)
    assert "Formulaire expiré" in html and "rien n'a été enregistré" in html and "CSRF" not in html


def test_a_bad_request_caught_by_django_is_the_french_400(db, client: Client) -> None:  # noqa: ANN001
    response = client.get("/", headers={"host": "pas-un-hote-autorise.example"})  # DisallowedHost
    assert response.status_code == 400
    assert_dsfr_in_french(text(response))
    assert "Requête invalide" in text(response)


def test_the_500_page_renders_without_database_nor_context_processors() -> None:
    # No `db` fixture: any query would fail this test (pytest-django blocks the database).
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert_dsfr_in_french(html)
    assert "Le service a rencontré une erreur" in html and "Réessayez dans quelques minutes" in html


def test_api_paths_keep_their_json_errors(db, client: Client) -> None:  # noqa: ANN001
    response = client.get("/api/v1/nope")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["erreur"]["code"] == "introuvable"


def test_the_logout_address_opened_by_a_visitor_says_so(db, client: Client) -> None:  # noqa: ANN001
    response = client.get("/deconnexion/")
    assert response.status_code == 200
    html = text(response)
    assert_dsfr_in_french(html)
    assert "<h1>Se déconnecter</h1>" in html and "Vous n'êtes pas connecté" in html


# --- The real server (gunicorn, DEBUG off) -----------------------------------------------------------------------


def _get(server, path: str) -> tuple[int, str, str]:  # noqa: ANN001
    try:
        with urllib.request.urlopen(server.url + path, timeout=60) as r:  # noqa: S310 (loopback)
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_the_real_server_answers_unknown_pages_in_french_and_the_api_in_json(server) -> None:  # noqa: ANN001
    status, content_type, html = _get(server, "/page-qui-nexiste-pas/")
    assert status == 404 and content_type.startswith("text/html")
    assert_dsfr_in_french(html)
    assert "<h1>Page introuvable</h1>" in html
    status, content_type, body = _get(server, "/api/v1/nope")
    assert status == 404 and content_type.startswith("application/json")
    assert json.loads(body)["erreur"]["code"] == "introuvable"
    status, content_type, body = _get(server, "/open311/v2/nothing.json")
    assert status == 404 and content_type.startswith("application/json")
    description = "Ressource Open311 inconnue : voir /open311/v2/discovery.json."
    assert json.loads(body) == [{"code": 404, "description": description}]  # the spec's error list
