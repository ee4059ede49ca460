"""Webhooks in a real browser: the CAF de l'Hérault's administrator subscribes its software's address, copies the
secret shown once, sees the deliveries of a task change (the receiver is down: waiting, with the error), replays
one. axe-core on every page."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "motdepasse-solide-42"
USER, SECRET = "webhooks-e2e", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXW"
SHOTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "captures-webhooks"
DOWN = "https://127.0.0.1:9/hooks/caf34"  # nothing listens there: every attempt fails, nothing is lost

CHANGE_A_TASK = """
from datetime import date
from sanscouture.accounts.services import agent_create
from sanscouture.bodies.models import Body
from sanscouture.cases.fields import field_labels
from sanscouture.cases.services import declaration_submit, task_status_set
agent, _ = agent_create(username="webhooks-e2e-agent", password="motdepasse-solide-42", body=Body.objects.get(key="caf:34"), role="agent")
case, _ = declaration_submit(life_event="je-demenage", choices=["locataire", "francais", "oui", "salarie-du-secteur-prive"], commune="34274", commune_from="44195", values={"nom": "Personne-fictive"}, consents=[], today=date(2026, 6, 1))
task_status_set(task=case.tasks.get(body__key="caf:34"), status="in_progress", actor=agent)
"""  # noqa: E501


@pytest.fixture(scope="module")
def admin(server) -> str:  # noqa: ANN001
    server.manage(
        "shell",
        "-c",
        "from sanscouture.accounts.services import agent_create\nfrom sanscouture.bodies.models import Body\n"
        f"agent_create(username={USER!r}, password={PASSWORD!r}, body=Body.objects.get(key='caf:34'), role='admin', "
        f"totp_secret={SECRET!r})",
    )
    return USER


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_subscribe_and_see_deliveries(page: Page, server, admin) -> None:  # noqa: ANN001
    log_in(page, admin, SECRET, next_url="/taches/", password=PASSWORD)
    page.get_by_role("link", name="Agents — CAF de l'Hérault").first.click()
    page.get_by_role("link", name="Webhooks de la structure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks de CAF de l'Hérault")
    assert_accessible(page, context="liste des webhooks, vide")

    # Bad input first: a plain http address is refused, nothing is created.
    page.get_by_label("Adresse du récepteur").fill("http://logiciel.exemple.fr/hooks")
    page.get_by_label("Tâche modifiée (statut)").check(force=True)
    page.get_by_role("button", name="Abonner").click()
    expect(page.get_by_text("doit commencer par https://")).to_be_visible()
    expect(page.get_by_text("Aucun abonnement.")).to_be_visible()
    assert_accessible(page, context="adresse refusée")

    page.get_by_label("Adresse du récepteur").fill(DOWN)
    page.get_by_label("Tâche modifiée (statut)").check(force=True)
    page.get_by_label("Dossier ouvert (une tâche pour la structure)").check(force=True)
    page.get_by_role("button", name="Abonner").click()
    expect(page.get_by_role("heading", name="Abonnement créé")).to_be_visible()
    secret = page.locator("#nouveau-secret").inner_text()
    assert secret.startswith("whsec_")
    assert_accessible(page, context="abonnement créé, secret affiché une fois")
    shot(page, "1-abonnement-cree")

    server.manage("shell", "-c", CHANGE_A_TASK)
    page.get_by_role("link", name="Voir l'abonnement et ses livraisons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Webhook vers {DOWN}")
    rows = page.locator("#livraisons tbody tr[data-livraison]")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="tache.modifiee")).to_have_count(1)
    expect(rows.filter(has_text="dossier.ouvert")).to_have_count(1)
    assert secret not in page.content(), "the secret is never shown again"
    assert_accessible(page, context="livraisons")
    shot(page, "2-livraisons")

    rows.filter(has_text="tache.modifiee").get_by_role("button", name="Rejouer").click()
    expect(page.get_by_text("Livraison remise en file")).to_be_visible()
    assert_accessible(page, context="livraison rejouée")

    page.get_by_role("button", name="Changer le secret").click()
    expect(page.get_by_role("heading", name="Nouveau secret")).to_be_visible()
    assert page.locator("#nouveau-secret").inner_text() != secret
    assert_accessible(page, context="secret changé")
    shot(page, "3-secret-change")
