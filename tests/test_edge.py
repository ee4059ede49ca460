"""The edge (issue 7): NUL and control characters, oversized bodies, Content-Type, integers beyond 64 bits, repeated
parameters, the error envelope everywhere under /api/, the OpenAPI's statuses, the anonymous-write throttle.

Over real HTTP against the real server (`server`) where the outcome does not depend on settings; the throttle, whose
limits the server lifts for the other HTTP tests, through the same middleware in-process with small limits."""

import contextlib
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.test import Client, override_settings

from sanscouture.cases.models import Case

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


def call(server, method, path, body=None, *, content_type="application/json", headers=None):  # noqa: ANN001, ANN201
    """(status, headers, JSON or raw bytes) of one request to the real server."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
    request = urllib.request.Request(server.url + path, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
            status, got, raw = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        status, got, raw = exc.code, dict(exc.headers), exc.read()
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw


def declaration(name: str, **extra) -> dict:  # noqa: ANN003
    return {
        "moment_de_vie": "je-demenage",
        "choix": MOVE,
        "commune": "34274",
        "commune_depart": "44195",
        "donnees": {"nom": name},
        **extra,
    }


def assert_error(result, status: int, code: str) -> None:  # noqa: ANN001
    got, headers, data = result
    assert got == status, (got, data)
    assert headers.get("Content-Type", "").startswith("application/json"), headers
    assert data["erreur"]["code"] == code and data["erreur"]["message"], data


@pytest.fixture(scope="module")
def follow_up(server) -> str:  # noqa: ANN001
    status, _, created = call(server, "POST", "/api/v1/dossiers", declaration("TEST Bord"))
    assert status == 201, created
    return created["jeton_suivi"]


# --- NUL and control characters: the probe's PostgreSQL 500s (and the NUL stored on SQLite) ------------------------


@pytest.mark.parametrize(
    "field",
    [
        {"donnees": {"nom": "Léa\u0000Martin"}},
        {"donnees": {"nom\u0000": "Léa"}},
        {"commune": "34\u0000274"},
        {"choix": ["locataire\u0000"]},
        {"donnees": {"nom": "Léa\u001bMartin"}},
        {"donnees": {"nom": "Léa\ud800"}},
    ],
)
def test_a_declaration_with_nul_or_control_characters_is_refused_and_stores_nothing(server, field):
    name = f"TEST NUL {uuid.uuid4().hex[:8]}"
    assert_error(call(server, "POST", "/api/v1/dossiers", declaration(name) | field), 400, "caractere_interdit")
    prefix = name[:13]
    count = f"print(CaseData.objects.filter(values__nom__startswith={prefix!r}).count())"
    out = server.manage("shell", "-c", "from sanscouture.cases.models import CaseData; " + count)
    assert out.split()[-1] == "0"


def test_a_message_with_nul_on_the_follow_up_link_is_refused(server, follow_up):
    assert_error(
        call(server, "POST", f"/api/v1/suivi/{follow_up}/messages", {"texte": "Bonjour\u0000"}),
        400,
        "caractere_interdit",
    )
    ok = call(server, "POST", f"/api/v1/suivi/{follow_up}/messages", {"texte": "Bonjour,\nmerci.\t"})
    assert ok[0] == 201, ok  # newlines and tabs are text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/moments-de-vie/je%00",
        "/api/v1/etapes-locales?moment_de_vie=%00",
        "/api/v1/communes?q=Saint%00Denis",
        "/api/v1/communes/34274/competences?date=%0A2026-01-01",
        "/api/v1/communes/34%0D274",
    ],
)
def test_nul_and_control_characters_in_api_paths_and_queries_are_a_400_envelope(server, path):
    assert_error(call(server, "GET", path), 400, "caractere_interdit")


@pytest.mark.parametrize("path", ["/moments-de-vie/je%00/", "/?commune=Saint%00Denis", "/moments-de-vie/%1B/"])
def test_nul_in_a_page_address_is_a_french_page(server, path):
    status, headers, body = call(server, "GET", path, content_type=None)
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "Requête invalide" in page and "Caractère interdit" in page and 'role="alert"' in page


def test_nul_in_a_form_field_is_refused_before_the_view(referential):
    client = Client()
    response = client.post("/declarer/je-demenage/?commune=34274", {"nom": "Léa\x00"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 400 and "Caractère interdit" in response.content.decode()
    assert not Case.objects.exists()


# --- Oversized bodies, Content-Type, unknown paths, methods -----------------------------------------------------


def send_oversized(server, path: str, body: bytes, content_type: str):  # noqa: ANN001, ANN201
    """(status, headers, JSON or raw bytes): the server answers 413 from the headers and may close the socket while
    the client still sends (a broken pipe on a busy machine); the answer is read all the same."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(server.url).netloc, timeout=60)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        r = conn.getresponse()
        status, got, raw = r.status, dict(r.headers), r.read()
    finally:
        conn.close()
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw


def test_oversized_bodies_are_413_in_the_envelope(server):
    big = b'{"donnees": {"nom": "' + b"x" * 2_000_000 + b'"}}'
    assert_error(send_oversized(server, "/api/v1/dossiers", big, "application/json"), 413, "requete_trop_grande")
    status, headers, body = send_oversized(server, "/declarer/je-demenage/", big, "text/plain")
    assert status == 413 and "Envoi trop volumineux" in body.decode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(declaration("TEST Type")).encode()),
        ("application/x-www-form-urlencoded", b"moment_de_vie=je-demenage&commune=34274"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'),
        (None, json.dumps(declaration("TEST Type")).encode()),
    ],
)
def test_json_operations_require_application_json(server, content_type, body):
    assert_error(
        call(server, "POST", "/api/v1/dossiers", body, content_type=content_type),
        415,
        "type_de_contenu_non_pris_en_charge",
    )
    assert_error(
        call(server, "POST", "/api/v1/moments-de-vie/je-demenage/parcours", body, content_type=content_type),
        415,
        "type_de_contenu_non_pris_en_charge",
    )


def test_json_with_a_charset_is_json(server):
    status, _, data = call(
        server,
        "POST",
        "/api/v1/moments-de-vie/je-demenage/parcours",
        {"commune": "34274", "choix": MOVE},
        content_type="application/json; charset=utf-8",
    )
    assert status == 200, data


def test_unknown_api_paths_and_wrong_methods_answer_the_envelope(server):
    assert_error(call(server, "GET", "/api/v1/inexistant"), 404, "introuvable")
    assert_error(call(server, "GET", "/api/v2/communes"), 404, "introuvable")
    status, headers, data = call(server, "DELETE", "/api/v1/communes/34274")
    assert_error((status, headers, data), 405, "methode_non_autorisee")
    assert "GET" in headers.get("Allow", "")
    assert_error(
        call(server, "POST", "/api/v1/moments-de-vie/je-demenage/parcours", b"{pas du json"), 400, "json_invalide"
    )


# --- Integers beyond 64 bits: the probe's SQLite 500s --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/declarations?structure=9223372036854775808",
        "/api/v1/etapes-locales?structure=9223372036854775808",
        "/api/v1/declarations?structure=-9223372036854775809",
        "/api/v1/etapes-locales?structure=99999999999999999999999999",
    ],
)
def test_integers_beyond_64_bits_in_queries_are_a_400(server, path):
    assert_error(call(server, "GET", path), 400, "entier_hors_limites")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/structures/9223372036854775808", "/api/v1/structures/18446744073709551616"],
)
def test_integers_beyond_64_bits_in_paths_are_a_404(server, path):
    assert_error(call(server, "GET", path), 404, "introuvable")


def test_integers_beyond_64_bits_in_agent_queries_bodies_and_pages(referential):
    from sanscouture.accounts.services import api_token_create

    agent = referential.agent("caf:34", role="admin")
    _, raw = api_token_create(body=referential.body("caf:34"), name="t", role="agent", created_by=agent)
    token = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for query in ({"decalage": 2**63}, {"limite": 2**64}):
        response = token.get("/api/v1/taches", query)
        assert response.status_code == 400 and response.json()["erreur"]["code"] == "entier_hors_limites"
    response = token.post(
        "/api/v1/dossiers", declaration("TEST Entier", consentements=[2**70]), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["erreur"]["code"] == "entier_hors_limites"
    response = token.post(f"/api/v1/taches/{2**64}/statut", {"statut": "done"}, content_type="application/json")
    assert response.status_code == 404 and response.json()["erreur"]["code"] == "introuvable"
    session = Client()
    referential.login(session, agent)
    assert session.get(f"/structures/{2**64}/agents/").status_code == 404
    assert not Case.objects.exists()


def test_a_scalar_parameter_given_twice_is_refused(server):
    assert_error(call(server, "GET", "/api/v1/declarations?structure=1&structure=2"), 400, "parametre_repete")
    assert call(server, "GET", "/api/v1/declarations?structure=1")[0] == 200


# --- The OpenAPI says it ---------------------------------------------------------------------------------------


def test_the_openapi_declares_the_edge_statuses_and_anonymous_access(server):
    status, _, schema = call(server, "GET", "/api/v1/openapi.json")
    assert status == 200
    create = schema["paths"]["/api/v1/dossiers"]["post"]
    assert {} in create["security"], "POST /dossiers est ouvert aux personnes sans compte"
    assert {"400", "413", "415", "422", "429"} <= set(create["responses"])
    declare = schema["paths"]["/api/v1/declarations"]["post"]
    assert {} not in declare["security"] and {"400", "401", "403", "409", "413", "415", "422", "429"} <= set(
        declare["responses"]
    )
    assert "404" in schema["paths"]["/api/v1/structures/{structure_id}"]["get"]["responses"]
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["erreur"]
    ids = schema["paths"]["/api/v1/taches/{task_id}/statut"]["post"]["parameters"][0]["schema"]
    assert ids["maximum"] == 2**63 - 1


# --- Anonymous writes throttled --------------------------------------------------------------------------------


@override_settings(SANSCOUTURE_ANON_WRITES_PER_ADDRESS=3, SANSCOUTURE_ANON_WRITES_GLOBAL=100)
def test_anonymous_writes_are_throttled_per_address_with_retry_after(referential):
    person = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        person.post("/api/v1/dossiers", declaration(f"TEST Flot {i}"), content_type="application/json").status_code
        for i in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    refused = person.post("/api/v1/dossiers", declaration("TEST Flot 6"), content_type="application/json")
    assert refused.json()["erreur"]["code"] == "trop_de_requetes"
    assert 1 <= int(refused["Retry-After"]) <= 601
    page = person.post("/declarer/je-demenage/?commune=34274", {"nom": "TEST"})
    assert page.status_code == 429 and "Trop de demandes" in page.content.decode() and page["Retry-After"]
    assert Case.objects.count() == 3
    # Another address is not concerned; an agent's API token is never throttled.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post("/api/v1/dossiers", declaration("TEST Autre"), content_type="application/json").status_code == 201
    from sanscouture.accounts.services import api_token_create

    agent = referential.agent("mairie:44195", role="admin")
    _, raw = api_token_create(body=referential.body("mairie:44195"), name="t", role="agent", created_by=agent)
    counter = Client(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {raw}")
    for i in range(4):
        assert (
            counter.post(
                "/api/v1/dossiers", declaration(f"TEST Guichet {i}"), content_type="application/json"
            ).status_code
            == 201
        )
    # A made-up token is anonymous.
    fake = Client(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer sc_inventeinventeinvente")
    assert fake.post("/api/v1/dossiers", declaration("TEST Faux"), content_type="application/json").status_code == 429


@override_settings(SANSCOUTURE_ANON_WRITES_PER_ADDRESS=100, SANSCOUTURE_ANON_WRITES_GLOBAL=4)
def test_anonymous_writes_are_throttled_globally(referential):
    statuses = [
        Client(REMOTE_ADDR=f"192.0.2.{i}")
        .post("/api/v1/dossiers", declaration(f"TEST Global {i}"), content_type="application/json")
        .status_code
        for i in range(6)
    ]
    assert statuses == [201, 201, 201, 201, 429, 429]
