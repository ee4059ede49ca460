"""Web pages through Django's test client on the referential subset: fast, no browser."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from sanscouture.competences.models import Exercise
from sanscouture.competences.routing import route
from sanscouture.territories.models import Commune

PIC = "epci:200022986"
SAINT_MARTIN = "34274"
QUI = "/"
DECLARATIONS = "/declarations/"


def text(response) -> str:  # noqa: ANN001
    return response.content.decode()


def declaration(body_pk: int, **extra: str) -> dict[str, object]:
    return {
        "body": body_pk,
        "competence": "petite-enfance",
        "communes": SAINT_MARTIN,
        "start": "2024-01-01",
        "end": "",
        "basis": "statuts",
        "reference": "",
        **extra,
    }


def test_home_page_is_a_dsfr_page_in_french(client: Client) -> None:
    response = client.get(QUI)
    assert response.status_code == 200
    html = text(response)
    assert '<html lang="fr"' in html and "dsfr.min.css" in html and 'class="fr-header"' in html
    assert 'class="fr-footer"' in html and "Accessibilité : non conforme" in html
    assert 'for="commune"' in html and 'hx-get="/communes/suggestions"' in html


def test_a_commune_shows_the_competences_grouped_by_theme(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Saint-Martin-de-Londres"})
    assert response.status_code == 200
    html = text(response)
    assert "Qui fait quoi à Saint-Martin-de-Londres ?" in html
    assert 'data-competence="gemapi"' in html and "CC du Grand Pic Saint-Loup" in html
    assert "Intercommunalité" in html and "Conseil départemental" in html  # the kind of each body
    assert response.context["themes"]["Éducation"]


def test_suggestions_are_links_to_the_page(referential, client: Client) -> None:
    response = client.get(
        reverse("territories:suggestions"), {"commune": "Saint-Martin-de"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Saint-Martin-de-Londres (34)" in text(response)
    assert f'href="/?code={SAINT_MARTIN}&amp;commune=Saint-Martin-de-Londres%20%2834%29"' in text(response)
    empty = client.get(reverse("territories:suggestions"), {"commune": "Zzzzq"})
    assert "Aucune commune ne correspond à « Zzzzq »" in text(empty)
    assert client.get(reverse("territories:suggestions"), {"commune": "S"}).content.strip() == b""


def test_unknown_commune_is_a_french_404(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Zzyzx-sur-Rien"})
    assert response.status_code == 404
    assert "Aucune commune ne s&#x27;appelle « Zzyzx-sur-Rien »" in text(response)


def test_ambiguous_commune_lists_candidates_with_links(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Saint-Denis"})
    assert response.status_code == 400
    html = text(response)
    assert "Plusieurs communes s&#x27;appellent « Saint-Denis »" in html
    codes = {c.code for c in response.context["candidates"]}
    assert {"93066", "97411"} <= codes
    assert 'href="/?code=93066&amp;commune=Saint-Denis%20%2893%29"' in html
    assert client.get(QUI, {"commune": "Saint-Denis (93)"}).status_code == 200


def test_a_postcode_and_insee_code_offers_the_postcode_first(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "13008"})
    assert response.status_code == 400
    assert [c.label for c in response.context["candidates"]] == ["Marseille 8e Arrondissement (13)", "Aurons (13)"]
    chosen = client.get(QUI, {"code": "13008", "commune": "Aurons (13)"})  # a candidate's link: the INSEE code
    assert chosen.status_code == 200 and chosen.context["commune"].name == "Aurons"


def test_an_arrondissement_by_its_number(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Paris 15e"})
    assert response.status_code == 200
    assert response.context["title"] == "Qui fait quoi à Paris 15e Arrondissement ?"
    assert response.context["routed"].insee_code == "75115"


def test_a_typo_gets_did_you_mean_links(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Montpelier"})
    assert response.status_code == 404
    assert "Vouliez-vous dire" in text(response)
    assert response.context["candidates"][0].label == "Montpellier (34)"


def test_an_empty_search_says_so(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": ""})
    assert response.status_code == 400 and "Indiquez une commune" in text(response)
    assert client.get(QUI).status_code == 200


@pytest.mark.parametrize(
    "typed",
    ["<script>alert(1)</script>", "%%%", "x" * 500, "Saint-Denis (99)", "2C001", "99999", "(34)"],
)
def test_malformed_input_never_crashes(referential, client: Client, typed: str) -> None:
    response = client.get(QUI, {"commune": typed})
    assert response.status_code in (400, 404)
    assert 'role="alert"' in text(response) and "<script>alert" not in text(response)
    assert client.get(reverse("territories:suggestions"), {"commune": typed}).status_code == 200


@pytest.mark.parametrize("bad", ["2024-13-45", "demain", "1990-01-01"])
def test_bad_date_is_a_french_400(referential, client: Client, bad: str) -> None:
    response = client.get(QUI, {"commune": "Saint-Martin-de-Londres", "date": bad})
    assert response.status_code == 400
    assert "date" in text(response) and (
        "n&#x27;est pas une date valide" in text(response) or "hors de la période couverte" in text(response)
    )


def test_the_rows_resting_on_an_unchecked_reference_say_so(referential, client: Client) -> None:
    """Issue 9, item 6: the page flags exactly the answers whose legal references are not all checked."""
    response = client.get(QUI, {"code": "69123"})
    assert response.status_code == 200
    rows = {chunk.split('"', 1)[0]: chunk for chunk in text(response).split('<tr data-competence="')[1:]}
    assert len(rows) > 40
    for code, row in rows.items():
        checked = route(code, commune="69123", on=date.today()).reason.verified
        assert ("sc-unverified" not in row) == checked, code
        assert checked or "selon la loi" not in row, code
    assert "Référence légale non vérifiée" in rows["mobilite-aom"]  # Sytral: Code des transports L1243-1 unread
    assert "sc-unverified" not in rows["etat-civil"]


def test_a_past_date_is_honoured(referential, client: Client) -> None:
    response = client.get(QUI, {"commune": "Saint-Martin-de-Londres", "date": "2020-06-01"})
    assert response.status_code == 200 and "Situation au 01/06/2020" in text(response)


def test_delegated_code_says_which_commune_it_belongs_to(referential, client: Client) -> None:
    delegated = (
        Commune.objects.filter(kind="delegated", departement_id="44")
        .exclude(parent=None)
        .select_related("parent")
        .order_by("insee_code")
    )
    delegated = next(d for d in delegated if d.insee_code != d.parent.insee_code)
    response = client.get(QUI, {"commune": delegated.insee_code})
    assert response.status_code == 200
    html = text(response)
    assert f"Le code {delegated.insee_code} ({delegated.name}) est un code d&#x27;une commune déléguée" in html
    assert f"Qui fait quoi à {delegated.parent.name} ?" in html


def test_declarations_require_login(db, client: Client) -> None:  # noqa: ANN001
    response = client.get(DECLARATIONS)
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/declarations/"
    assert client.post(reverse("web:declaration_withdraw", args=[1])).status_code == 302


def test_login_page_is_in_french(client: Client) -> None:
    response = client.get("/connexion/")
    assert response.status_code == 200
    assert "Identifiant" in text(response) and "Mot de passe" in text(response)


def test_agent_without_declaring_role_sees_a_french_warning(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC, role="agent"))
    response = client.get(DECLARATIONS)
    assert response.status_code == 200
    assert "Votre compte n'est habilité à déclarer des compétences pour aucune structure" in text(response)
    pic = referential.body(PIC)
    assert client.post(DECLARATIONS, declaration(pic.pk)).status_code == 403
    assert not Exercise.objects.exists()


def test_declaration_post_enforces_csrf(referential) -> None:
    client = Client(enforce_csrf_checks=True)
    referential.login(client, referential.agent(PIC))
    response = client.post(DECLARATIONS, declaration(referential.body(PIC).pk))
    assert response.status_code == 403
    assert not Exercise.objects.exists()


def test_admin_declares_then_conflict_then_withdraws(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC))
    pic = referential.body(PIC)
    response = client.post(DECLARATIONS, declaration(pic.pk, all_members="on", communes=""), follow=True)
    assert response.status_code == 200
    assert "Déclaration enregistrée : CC du Grand Pic Saint-Loup exerce" in text(response)
    ex = Exercise.objects.get()
    assert ex.communes.count() == 36 and ex.start == date(2024, 1, 1)
    again = client.post(DECLARATIONS, declaration(pic.pk, start="2025-01-01"))
    assert again.status_code == 409
    assert "Conflit : CC du Grand Pic Saint-Loup exerce déjà" in text(again)
    assert Exercise.objects.count() == 1
    page = client.get(QUI, {"code": SAINT_MARTIN})
    assert "Déclaration" in text(page)
    withdrawn = client.post(reverse("web:declaration_withdraw", args=[ex.pk]), follow=True)
    assert "Déclaration retirée" in text(withdrawn)
    assert Exercise.objects.get().withdrawn_at is not None


def test_admin_cannot_declare_for_a_body_they_do_not_belong_to(referential, client: Client) -> None:
    from sanscouture.bodies.models import Body

    referential.login(client, referential.agent(PIC))
    other = Body.objects.filter(kind="epci").exclude(key=PIC).first()
    response = client.post(DECLARATIONS, declaration(other.pk))
    assert response.status_code == 400
    assert "Vous ne pouvez pas déclarer pour cette structure." in text(response)
    assert list(response.context["form"].fields["body"].queryset) == [referential.body(PIC)]
    assert not Exercise.objects.exists()


def test_withdrawing_someone_elses_declaration_is_a_404(referential, client: Client) -> None:
    pic = referential.body(PIC)
    owner = Client()
    referential.login(owner, referential.agent(PIC, username="proprietaire"))
    owner.post(DECLARATIONS, declaration(pic.pk))
    ex = Exercise.objects.get()
    from sanscouture.bodies.models import Body

    other = Body.objects.filter(kind="epci").exclude(key=PIC).first()
    referential.login(client, referential.agent(other.key))
    assert client.post(reverse("web:declaration_withdraw", args=[ex.pk])).status_code == 404
    assert Exercise.objects.get().withdrawn_at is None


def test_agents_find_their_tasks_and_admins_their_body_in_the_menu(referential, client):
    admin = referential.agent("caf:34", role="admin")
    referential.login(client, admin)
    page = client.get("/").content.decode()
    assert 'href="/taches/"' in page and "Agents — CAF de l&#x27;Hérault" in page
    agent = referential.agent("cpam:34", role="agent")
    referential.login(client, agent)
    page = client.get("/").content.decode()
    assert 'href="/taches/"' in page and "Agents —" not in page
    client.logout()
    assert 'href="/taches/"' not in client.get("/").content.decode()


def test_anonymous_visitors_see_no_agent_menu_and_a_way_to_the_life_events(referential, client: Client) -> None:
    page = text(client.get(QUI))
    assert "Déclarations de compétences" not in page and "Étapes locales" not in page
    assert 'id="vers-moments-de-vie"' in page and 'href="/moments-de-vie/"' in page
    agent = referential.agent("mairie:34274", role="admin")
    referential.login(client, agent)
    page = text(client.get(QUI))
    assert "Déclarations de compétences" in page and 'id="qui-est-connecte"' in page
    assert "Mairie de Saint-Martin-de-Londres (administrateur de la structure)" in page


def test_links_follow_the_address_the_server_really_serves_on(settings, tmp_path, monkeypatch) -> None:
    from sanscouture.web.management.commands.serve import server_address_publish

    monkeypatch.delenv("SANSCOUTURE_BASE_URL", raising=False)
    settings.SERVED_ADDRESS_FILE = tmp_path / "adresse-serveur"
    assert server_address_publish(host="0.0.0.0", port=8765) == "http://127.0.0.1:8765"  # noqa: S104
    assert settings.SANSCOUTURE_BASE_URL == "http://127.0.0.1:8765"
    assert (tmp_path / "adresse-serveur").read_text().strip() == "http://127.0.0.1:8765"  # read by `demo`
    monkeypatch.setenv("SANSCOUTURE_BASE_URL", "https://sans-couture.exemple.fr")
    assert server_address_publish(host="::", port=9000) == "http://[::1]:9000"
    assert settings.SANSCOUTURE_BASE_URL == "http://127.0.0.1:8765"  # an explicit address wins
