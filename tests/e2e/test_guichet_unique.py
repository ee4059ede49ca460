"""Guichet unique, the issue's « Done when », walked in headless Chromium against `sanscouture serve` after
`sanscouture demo`: a person declares « Je déménage » from Savenay to Saint-Martin-de-Londres through the pages;
the competent bodies of both communes each see their task; the CAF de l'Hérault hands a task over to the
Département de l'Hérault, which accepts it; the person sees every step move; withdrawing consent from one body
cuts its access. One browser context per actor."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "demo-motdepasse-solide-42"
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
JOURNEY = "/moments-de-vie/je-demenage/parcours?commune=34274" + "".join(f"&choix={c}" for c in MOVE)
# demo login → the body whose task it must see, by its key.
AGENTS = {
    "demo-mairie-saint-martin": "mairie:34274",
    "demo-mairie-savenay": "mairie:44195",
    "demo-caf-34": "caf:34",
    "demo-caf-44": "caf:44",
    "demo-cc-pic-saint-loup": "epci:200022986",
    "demo-cc-estuaire-sillon": "epci:200072734",
    "demo-departement-34": "departement:34",
}


@pytest.fixture(scope="module")
def secrets(server) -> dict[str, str]:  # noqa: ANN001
    out = server.manage("demo", "--mot-de-passe", PASSWORD)
    return dict(re.findall(r"^\s+(demo-[\w-]+) / .* secret TOTP (\w+) ", out, re.M))


def _context(browser: Browser, server) -> BrowserContext:  # noqa: ANN001
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context


def _log_in(page: Page, username: str, secret: str) -> None:
    log_in(page, username, secret, next_url="/taches/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tâches de mes structures")


def _open_case_from_task_list(page: Page, reference: str) -> None:
    """The agent finds the case in their task list (filtered on the commune of arrival) and opens it."""
    page.goto("/taches/?commune=34274&moment_de_vie=je-demenage")
    for _ in range(40):
        link = page.get_by_role("link", name=reference, exact=True)
        if link.count():
            link.first.click()
            break
        page.get_by_role("link", name="Page suivante").click()
    else:
        pytest.fail(f"le dossier {reference} n'est pas dans la liste des tâches")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {reference}")


def _status(page: Page, body_key: str) -> str:
    return page.locator(f'#taches tr[data-structure="{body_key}"]').first.get_attribute("data-statut") or ""


def test_one_declaration_one_shared_case_worked_together(browser: Browser, server, secrets) -> None:  # noqa: ANN001
    name = f"DÉMO E2E Martin-{uuid.uuid4().hex[:6]}"

    # 1. The person declares once, from the journey page.
    person_ctx = _context(browser, server)
    person = person_ctx.new_page()
    person.goto(JOURNEY)
    person.get_by_role("link", name="Déclarer une seule fois").click()
    expect(person.get_by_role("heading", level=1)).to_contain_text("déclarer une seule fois")
    person.get_by_label("Commune que vous quittez").fill("Savenay")
    person.get_by_role("button", name="Continuer").click()
    expect(person.locator("#form-declaration")).to_be_visible()
    assert "commune_depart=Savenay" in person.url
    person.locator("#id_nom").fill(name)
    person.locator("#id_prenoms").fill("Alex (personne fictive)")
    person.locator("#id_numero_allocataire").fill("DEMO-0001234")
    person.locator("#id_adresse_arrivee").fill("3 rue de l'Exemple, Saint-Martin-de-Londres")
    assert person.locator("#structures .sc-planned").count() >= 8
    person.get_by_label("J'accepte que chacune de ces").check(force=True)
    person.get_by_role("button", name="Envoyer ma déclaration").click()
    expect(person.get_by_role("heading", level=1)).to_have_text("Déclaration enregistrée")
    reference = person.locator(".fr-alert--success strong").inner_text()
    follow_up = person.locator("#adresse-suivi").input_value()
    assert re.search(r"/suivi/[\w-]+/$", follow_up)
    person.get_by_role("link", name="Suivre mon dossier").click()
    expect(person.get_by_role("heading", level=1)).to_have_text(f"Votre dossier {reference}")
    for key in AGENTS.values():
        assert _status(person, key) == "todo", key

    # 2. Every competent body of both communes sees its task.
    agents: dict[str, Page] = {}
    for username, key in AGENTS.items():
        page = _context(browser, server).new_page()
        _log_in(page, username, secrets[username])
        _open_case_from_task_list(page, reference)
        expect(page.locator("#mes-taches .sc-task__title").first).to_be_visible()
        assert _status(page, key) == "todo"
        agents[username] = page

    def person_sees(key: str, status: str, event: str) -> None:
        person.reload()
        assert _status(person, key) == status, (key, status)
        expect(person.locator("#evenements")).to_contain_text(event)

    # 3. The mairie of arrival starts; the mairie left closes its part. The person sees each step.
    mairie = agents["demo-mairie-saint-martin"]
    mairie.locator("#mes-taches select[name=status]").first.select_option("in_progress")
    mairie.get_by_role("button", name="Enregistrer le statut").first.click()
    expect(mairie.get_by_role("alert").or_(mairie.locator(".fr-alert")).first).to_contain_text("En cours")
    person_sees("mairie:34274", "in_progress", "Mairie de Saint-Martin-de-Londres : tâche « En cours »")
    savenay = agents["demo-mairie-savenay"]
    savenay.locator("#mes-taches select[name=status]").first.select_option("done")
    savenay.get_by_role("button", name="Enregistrer le statut").first.click()
    person_sees("mairie:44195", "done", "Mairie de Savenay : tâche « Fait »")

    # 4. The CAF de l'Hérault hands one step of its task over to the Département de l'Hérault, which accepts it:
    # the CAF keeps its other steps and stays in the case; the pending orientation shows meanwhile (issue 8).
    caf = agents["demo-caf-34"]
    expect(caf.locator("#donnees")).to_contain_text("DEMO-0001234")
    steps = caf.locator("#mes-taches input[name=etapes]")
    before = steps.count()
    assert before >= 2
    handed = steps.first.get_attribute("value")
    steps.first.check(force=True)
    caf.locator("#mes-taches").get_by_label("Département de l'Hérault").check(force=True)
    reason = caf.get_by_label("Motif de l'orientation", exact=True)  # not the one towards another service
    reason.fill("Aide au logement : fonds de solidarité pour le logement")
    caf.get_by_role("button", name="Orienter la tâche").click()
    expect(caf.locator(".fr-alert").first).to_contain_text("Orientation proposée à Département de l'Hérault")
    expect(caf.locator("#mes-taches .sc-pending")).to_contain_text("Orientation en attente")
    expect(caf.get_by_role("button", name="Orienter la tâche")).to_have_count(0)  # not offered twice
    person_sees("caf:34", "todo", "CAF de l'Hérault propose 1 étape(s) de sa tâche à Département de l'Hérault")
    expect(person.locator('#taches tr[data-structure="caf:34"] .sc-pending')).to_contain_text("en attente")
    departement = agents["demo-departement-34"]
    departement.reload()
    expect(departement.locator("#orientations-recues")).to_contain_text("CAF de l'Hérault")
    expect(departement.locator("#orientations-recues")).to_contain_text(handed or "")
    departement.locator("#orientations-recues").get_by_role("button", name="Accepter").click()
    expect(departement.locator(".fr-alert").first).to_contain_text("Orientation acceptée")
    assert departement.locator('#taches tr[data-structure="caf:34"]').count() >= 1  # the sender stays
    person_sees("departement:34", "todo", "Département de l'Hérault reprend une partie de la tâche de CAF de l'Hérault")
    assert person.locator('#taches tr[data-structure="caf:34"]').count() >= 1
    caf.reload()
    expect(steps).to_have_count(before - 1 if before > 2 else 0)  # one step less (one left: no choice shown)

    # 4b. The mairie asks the Département for an opinion without handing its task over (issue 11, 3b); the
    # Département answers on the case page; the mairie reads the answer and keeps its task.
    opinions = mairie.locator("#avis-demandes")
    opinions.locator("select[name=structure]").first.select_option(label="Département de l'Hérault")
    opinions.get_by_label("Votre question").first.fill("L'enfant peut-il garder sa place au collège actuel ?")
    opinions.get_by_role("button", name="Demander l'avis").first.click()
    expect(mairie.locator(".fr-alert").first).to_contain_text("Avis demandé à Département de l'Hérault")
    departement.reload()
    asked = departement.locator("#avis-demandes [data-avis]").filter(has_text="vous demande votre avis")
    expect(asked).to_contain_text("garder sa place au collège")
    asked.get_by_label("Votre avis").fill("Oui, jusqu'à la fin de l'année scolaire.")
    asked.get_by_role("button", name="Donner mon avis").click()
    expect(departement.locator(".fr-alert").first).to_contain_text("Avis donné")
    mairie.reload()
    expect(mairie.locator("#avis-demandes")).to_contain_text("jusqu'à la fin de l'année scolaire")
    assert _status(mairie, "mairie:34274") == "in_progress"  # still the mairie's task
    mairie.screenshot(path="/tmp/impacts2-dossier-avis.png", full_page=True)  # noqa: S108 (to look at)
    assert_accessible(mairie, context="dossier partagé, demandes d'avis")
    person_sees("mairie:34274", "in_progress", "Département de l'Hérault a donné son avis à Mairie de Saint-Martin")

    # 5. Consent withdrawn from the CC du Grand Pic Saint-Loup: its next request shows none of the data.
    pic = agents["demo-cc-pic-saint-loup"]
    pic.reload()
    expect(pic.locator("#donnees")).to_contain_text(name)
    person.locator("#consentements li, #consentements .fr-card, #consentements div").filter(
        has_text="CC du Grand Pic Saint-Loup"
    ).last.get_by_role("button", name=re.compile("Retirer mon consentement")).click()
    expect(person.locator(".fr-alert").first).to_contain_text("ne voit plus vos données")
    pic.reload()
    expect(pic.locator("#sans-consentement")).to_be_visible()
    assert name not in pic.content() and "DEMO-0001234" not in pic.content()
    expect(person.locator("#evenements")).to_contain_text("retiré son consentement à CC du Grand Pic Saint-Loup")
    # The other bodies keep theirs.
    departement.reload()
    expect(departement.locator("#donnees")).to_contain_text(name)

    for page in [*agents.values(), person]:
        page.context.close()
