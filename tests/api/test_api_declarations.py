"""Writing exercise declarations through the API, as a logged-in agent, over real HTTP."""

import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from sanscouture.accounts.testing import totp_code_from_secret

ESTUAIRE_ET_SILLON = "epci:200072734"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXR"


class Agent:
    """A browser-like HTTP client: session cookie and CSRF token."""

    def __init__(self, server, username, password, totp_secret):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(server.url + "/connexion/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        self.opener.open(
            urllib.request.Request(
                server.url + "/connexion/", data=form.encode(), headers={"Referer": server.url + "/connexion/"}
            )
        )
        code = {"code": totp_code_from_secret(totp_secret), "csrfmiddlewaretoken": self.csrf}
        self.opener.open(
            urllib.request.Request(
                server.url + "/connexion/code/",
                data=urllib.parse.urlencode(code).encode(),
                headers={"Referer": server.url + "/connexion/code/"},
            )
        )

    @property
    def csrf(self):
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path, payload, *, csrf=True, raw=None):
        headers = {"Content-Type": "application/json", "Referer": self.server.url + "/"}
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            with self.opener.open(urllib.request.Request(self.server.url + path, data=data, headers=headers)) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            return exc.code, json.loads(body) if body.startswith(b"{") else body


@pytest.fixture(scope="module")
def agent(server):
    server.manage(
        "shell",
        "-c",
        (
            "from sanscouture.accounts.services import agent_create; from sanscouture.bodies.models import Body;"
            "agent_create(username='api-estuaire', password='motdepasse-solide-42', role='referent',"
            f" body=Body.objects.get(key='{ESTUAIRE_ET_SILLON}'), totp_secret='{TOTP_SECRET}')"
        ),
    )
    return Agent(server, "api-estuaire", "motdepasse-solide-42", TOTP_SECRET)


def body_id(server, key):
    out = server.manage(
        "shell", "-c", f"from sanscouture.bodies.models import Body; print(Body.objects.get(key='{key}').pk)"
    )
    return int(out.strip().splitlines()[-1])


def test_declaration_through_the_api_changes_routing(server, agent):
    structure = body_id(server, ESTUAIRE_ET_SILLON)
    status, data = agent.post(
        "/api/v1/declarations",
        {
            "structure": structure,
            "competence": "eau-potable",
            "communes": ["44195", "44019"],
            "debut": "2025-06-01",
            "fondement": "statuts",
            "reference": "Statuts du 1er juin 2025",
        },
    )
    assert status == 201, data
    assert data["communes"] == ["44019", "44195"] and data["structure"]["nom"] == "CC Estuaire et Sillon"
    # Every gunicorn worker must see it within a few seconds (its routing index checks the version row).
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline:
        _, answer = server.get("/api/v1/communes/44195/competences/eau-potable?date=2026-01-01")
        seen.append(json.loads(answer)["raison"]["type"])
        if seen[-3:] == ["declaration"] * 3:
            break
        time.sleep(0.5)
    assert seen[-3:] == ["declaration"] * 3, seen
    assert json.loads(answer)["structures"][0]["nom"] == "CC Estuaire et Sillon"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"competence": "inexistante"}, 404, "competence_inconnue"),
        ({"communes": ["99999"]}, 404, "commune_inconnue"),
        ({"fondement": "rumeur"}, 400, "declaration_invalide"),
        ({"debut": "2012-01-01"}, 400, "date_hors_validite"),
        ({"debut": "pas-une-date"}, 422, "requete_invalide"),
        ({"structure": 999999999}, 404, "introuvable"),
    ],
)
def test_bad_declarations_are_refused_with_a_stable_code(server, agent, payload, status, code):
    base = {
        "structure": body_id(server, ESTUAIRE_ET_SILLON),
        "competence": "assainissement-collectif",
        "communes": ["44195"],
        "debut": "2025-06-01",
        "fondement": "statuts",
    }
    got, data = agent.post("/api/v1/declarations", base | payload)
    assert got == status, data
    assert data["erreur"]["code"] == code


def test_an_agent_cannot_declare_for_another_body(server, agent):
    got, data = agent.post(
        "/api/v1/declarations",
        {
            "structure": body_id(server, "epci:200022986"),
            "competence": "assainissement-collectif",
            "communes": ["34274"],
            "debut": "2025-06-01",
            "fondement": "statuts",
        },
    )
    assert got == 403 and data["erreur"]["code"] == "non_autorise"


def test_csrf_is_required_and_oversized_payloads_are_refused(server, agent):
    got, data = agent.post("/api/v1/declarations", {}, csrf=False)
    assert got == 403 and data["erreur"]["code"] == "csrf_invalide"
    got, _ = agent.post("/api/v1/declarations", None, raw=b'{"communes": ["' + b"4" * 2_000_000 + b'"]}')
    assert 400 <= got < 500
