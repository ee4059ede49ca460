"""The declaration screen in a real browser: declare, see it routed, conflict, withdraw."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import log_in

pytestmark = pytest.mark.e2e

PIC_KEY = "epci:200022986"
PIC = "CC du Grand Pic Saint-Loup"
USERNAME = "agent-pic-e2e"
PASSWORD = "motdepasse-solide-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
CREATE_AGENT = f"""
from sanscouture.accounts.services import agent_create
from sanscouture.bodies.models import Body
agent_create(username={USERNAME!r}, password={PASSWORD!r}, body=Body.objects.get(key={PIC_KEY!r}), role="admin",
             totp_secret={TOTP_SECRET!r})
"""


@pytest.fixture(scope="module")
def agent(server) -> str:  # noqa: ANN001
    server.manage("shell", "-c", CREATE_AGENT)
    return USERNAME


def login(page: Page, username: str) -> None:
    log_in(page, username, TOTP_SECRET, next_url="/declarations/", password=PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarations d'exercice de compétences")


def declare_petite_enfance(page: Page) -> None:
    page.get_by_label("Structure qui exerce la compétence").select_option(label=PIC)
    page.get_by_role("combobox", name="Compétence", exact=True).select_option(value="petite-enfance")
    page.locator("label[for=id_all_members]").click()
    expect(page.locator("#id_all_members")).to_be_checked()
    page.get_by_label("Depuis le").fill("2024-01-01")
    page.get_by_label("Fondement").select_option(label="Statuts")
    page.get_by_label("Référence de l'acte").fill("Arrêté préfectoral du 12/12/2023")
    page.get_by_role("button", name="Enregistrer la déclaration").click()


def petite_enfance_row(page: Page, expected: str, *, tries: int = 10) -> None:
    """Other gunicorn workers refresh their routing index within ~2 s: reload until the answer shows."""
    row = page.locator('tr[data-competence="petite-enfance"]')
    for _ in range(tries):
        page.goto("/?commune=Saint-Martin-de-Londres+(34)")
        if expected in row.inner_text():
            break
        page.wait_for_timeout(500)
    expect(row).to_contain_text(expected)


def test_anonymous_visitor_is_sent_to_the_login_page(page: Page) -> None:
    page.goto("/declarations/")
    assert re.search(r"/connexion/\?next=/declarations/$", page.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace agent")


def test_declare_route_conflict_withdraw(page: Page, agent: str) -> None:
    login(page, agent)
    declare_petite_enfance(page)
    expect(page.get_by_role("status").first).to_contain_text(
        re.compile(r"Déclaration enregistrée : CC du Grand Pic Saint-Loup exerce « Petite enfance.* sur 36 commune")
    )
    existing = page.locator('#declarations-en-vigueur tr[data-competence="petite-enfance"]')
    expect(existing).to_have_count(1)

    petite_enfance_row(page, PIC)
    row = page.locator('tr[data-competence="petite-enfance"]')
    expect(row.locator(".fr-badge")).to_have_text("Déclaration")
    expect(row.locator(".sc-reason")).to_contain_text("Statuts")

    # Same competence, same communes, overlapping period: refused in French, nothing created.
    page.goto("/declarations/")
    declare_petite_enfance(page)
    expect(page.get_by_role("alert").first).to_contain_text(
        re.compile(r"Conflit : CC du Grand Pic Saint-Loup exerce déjà « Petite enfance.* depuis le 01/01/2024")
    )
    expect(existing).to_have_count(1)

    page.get_by_role("button", name=re.compile(r"^Retirer")).click()
    expect(page.get_by_role("status").first).to_contain_text("Déclaration retirée")
    expect(existing).to_have_count(0)
    petite_enfance_row(page, "Mairie de Saint-Martin-de-Londres")
