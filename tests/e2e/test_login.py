"""Agent login in a real browser: password, then the TOTP code computed from the secret; reach /declarations/;
log out; the agents page of the body."""

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

USERNAME = "agent-login-e2e"
PASSWORD = "motdepasse-solide-42"
SECRET_HEX = "3132333435363738393031323334353637383930"  # RFC 6238 test key, as django-otp stores it
SECRET_B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.fixture(scope="module")
def agent(server) -> str:  # noqa: ANN001
    server.manage(
        "shell",
        "-c",
        "from sanscouture.accounts.services import agent_create; from sanscouture.bodies.models import Body;"
        f"agent_create(username={USERNAME!r}, password={PASSWORD!r}, body=Body.objects.get(key='mairie:34274'),"
        f" role='admin', totp_secret={SECRET_B32!r})",
    )
    return USERNAME


def code() -> str:
    return f"{totp(bytes.fromhex(SECRET_HEX)):06d}"


def test_login_with_password_and_totp_then_logout(page: Page, agent: str) -> None:
    page.goto("/declarations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace agent")
    page.get_by_role("textbox", name="Identifiant", exact=True).fill(agent)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
    page.get_by_label("Code à 6 chiffres").fill(code())
    page.get_by_role("button", name="Valider le code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarations d'exercice de compétences")
    assert page.url.endswith("/declarations/")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Espace agent")).to_be_visible()
    page.goto("/declarations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace agent")


def test_wrong_password_stays_on_the_login_page(page: Page, agent: str) -> None:
    page.goto("/connexion/")
    page.get_by_role("textbox", name="Identifiant", exact=True).fill(agent)
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
