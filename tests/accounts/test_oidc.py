"""ProConnect path against a local OpenID Connect provider: happy path and each refusal."""

from urllib.parse import urlparse

import pytest
import requests
from django.test import Client

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, start


@pytest.fixture(scope="module")
def provider():
    prov, server = start()
    yield prov
    server.shutdown()


@pytest.fixture
def oidc(provider, settings):
    discovery = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=5).json()
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    provider.tamper = {}
    provider.sign_with_other_key = False
    provider.email = "claire@pic.example"
    return provider


def authorize(client: Client, next_url: str = "/declarations/") -> str:
    """Start the login and let the provider answer: the callback path with code and state."""
    start_login = client.get(f"/connexion/proconnect/?next={next_url}")
    assert start_login.status_code == 302
    location = start_login["Location"]
    assert "scope=openid+email+given_name+usual_name+siret" in location and "code_challenge=" in location
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlparse(answer.headers["Location"])
    return f"{callback.path}?{callback.query}"


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def refused(response, text: str = "refusée") -> bool:
    return response.status_code == 403 and text in response.content.decode()


def test_happy_path_logs_the_matching_agent_in_with_a_strong_factor(oidc, agent, client):
    login_page = client.get("/connexion/")
    assert "ProConnect" in login_page.content.decode()
    response = client.get(authorize(client))
    assert response.status_code == 302 and response["Location"] == "/declarations/"
    assert logged_in(client) and client.session["_auth_user_id"] == str(agent[0].pk)
    assert client.get("/declarations/").status_code == 200  # no TOTP asked: ProConnect is the strong factor


def test_unknown_email_is_refused_without_creating_an_account(oidc, agent, client):
    from django.contrib.auth import get_user_model

    oidc.email = "inconnu@example.fr"
    count = get_user_model().objects.count()
    response = client.get(authorize(client))
    assert refused(response, "Aucun compte agent actif")
    assert not logged_in(client) and get_user_model().objects.count() == count


def test_inactive_agent_is_refused(oidc, agent, client):
    user, _ = agent
    user.is_active = False
    user.save()
    assert refused(client.get(authorize(client)), "Aucun compte agent actif")


def test_bad_state_is_refused(oidc, agent, client):
    callback = authorize(client)
    path, query = callback.split("?")
    forged = "&".join(p if not p.startswith("state=") else "state=forge" for p in query.split("&"))
    assert refused(client.get(f"{path}?{forged}"))
    assert not logged_in(client)


def test_bad_nonce_is_refused(oidc, agent, client):
    oidc.tamper = {"nonce": "un-autre-nonce"}
    assert refused(client.get(authorize(client)))
    assert not logged_in(client)


def test_bad_signature_is_refused(oidc, agent, client):
    oidc.sign_with_other_key = True
    assert refused(client.get(authorize(client)))
    assert not logged_in(client)


@pytest.mark.parametrize("claims", [{"aud": "un-autre-client"}, {"iss": "https://faux.example"}, {"exp": 1}])
def test_wrong_audience_issuer_or_expired_token_is_refused(oidc, agent, client, claims):
    oidc.tamper = claims
    assert refused(client.get(authorize(client)))
    assert not logged_in(client)


def test_replayed_code_is_refused(oidc, agent, client):
    callback = authorize(client)
    assert client.get(callback).status_code == 302
    # The same answer again, in the same browser: its state was used.
    again = Client()
    assert refused(again.get(callback))
    # The used code with a fresh state: the provider refuses the code.
    fresh = Client()
    fresh_callback = authorize(fresh)
    new_state = fresh_callback.split("state=")[1]
    old_code = callback.split("code=")[1].split("&")[0]
    assert refused(fresh.get(f"/connexion/proconnect/retour/?code={old_code}&state={new_state}"))
    assert not logged_in(again) and not logged_in(fresh)


def test_disabled_when_not_configured(db, client, settings):
    settings.OIDC_ENABLED = False
    assert client.get("/connexion/proconnect/").status_code == 404
    assert client.get("/connexion/proconnect/retour/?code=x&state=y").status_code == 404
    assert "ProConnect" not in client.get("/connexion/").content.decode()
