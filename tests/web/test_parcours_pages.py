"""'Moments de vie' pages through Django's test client on the referential subset and the bundled catalogue."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

LIST = "/moments-de-vie/"
DEMENAGE = "/moments-de-vie/je-demenage/"
PARCOURS = "/moments-de-vie/je-demenage/parcours"
GARDE = "/moments-de-vie/j-ai-besoin-de-faire-garder-mes-enfants/"
ANSWERS = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
CHOICE_TITLES = [
    "Locataire",
    "Propriétaire",
    "Français",
    "Européen (UE)",
    "Étranger (autre pays)",
    "Oui",
    "Non",
    "Salarié du secteur privé",
    "Agent public",
    "Demandeur d&#x27;emploi",
    "Retraité",
]


def text(response) -> str:  # noqa: ANN001
    return response.content.decode()


def block(html: str, css_class: str, attribute: str, value: str) -> str:
    """The HTML of the card (`<div class="{css_class}">…</div>`) holding the item with this data attribute."""
    for m in re.finditer(rf'<div class="{css_class}[^"]*">.*?</div>', html, re.S):
        if f'{attribute}="{value}"' in m.group(0):
            return m.group(0)
    raise AssertionError(f"{css_class} {attribute}={value} absent")


@pytest.fixture
def demenage(referential, client: Client):  # noqa: ANN001, ANN201
    return client.get(PARCOURS, {"commune": "34274", "choix": ANSWERS})


def test_the_list_groups_the_25_life_events_by_audience(referential, client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 200
    html = text(response)
    assert html.count('class="fr-tile ') == 25 and len(set(re.findall(r'data-moment="([^"]+)"', html))) == 25
    assert f'href="{DEMENAGE}">Je déménage</a>' in html
    for audience in ("Particuliers", "Professionnels", "Associations"):
        assert f">{audience}</h2>" in html
    particuliers = html.split('id="section-particuliers"')[1].split("</section>")[0]
    assert "Je déménage" in particuliers and "Ouvrir un commerce" not in particuliers
    assert "Je crée une association" in html.split('id="section-associations"')[1]
    assert 'aria-current="page">Moments de vie</a>' in html  # the menu entry


def test_the_questionnaire_shows_the_questions_and_choices_as_published(referential, client: Client) -> None:
    response = client.get(DEMENAGE)
    assert response.status_code == 200
    html = text(response)
    assert "<h1>Je déménage</h1>" in html
    assert len(re.findall(r'<fieldset class="fr-fieldset[^"]*" id="question-', html)) == 4
    for question in ("Situation avant le déménagement", "Nationalité", "Avez-vous des enfants à charge ?"):
        assert f'<span class="fr-text--bold">{question}</span>' in html
    labels = re.findall(r'<label class="fr-label" for="choix-[^"]+">([^<]+)</label>', html)
    assert labels == CHOICE_TITLES
    assert 'type="radio" id="choix-nationalite-francais" name="q-nationalite" value="francais"' in html
    assert f'action="{PARCOURS}"' in html and 'method="get"' in html
    assert 'hx-get="/communes/suggestions"' in html and 'id="commune"' in html and 'type="date"' in html
    assert "checked" not in html


def test_the_questionnaire_is_prefilled_from_the_url(referential, client: Client) -> None:
    html = text(client.get(DEMENAGE, {"choix": ["locataire", "oui"], "commune": "Saint-Martin-de-Londres (34)"}))
    assert 'value="locataire" checked' in html and 'value="oui" checked' in html
    assert 'value="proprietaire" checked' not in html
    assert 'value="Saint-Martin-de-Londres (34)"' in html


def test_a_life_event_without_questionnaire_only_asks_the_commune(referential, client: Client) -> None:
    response = client.get(GARDE)
    assert response.status_code == 200
    html = text(response)
    assert 'name="q-' not in html and 'id="commune"' in html
    journey = client.get(GARDE + "parcours", {"commune": "34274"})
    assert journey.status_code == 200 and journey.context["journey"].steps


def test_the_form_redirects_to_the_shareable_url(referential, client: Client) -> None:
    response = client.get(
        PARCOURS,
        {
            "q-situation-avant-le-demenagement": "locataire",
            "q-nationalite": "francais",
            "q-avez-vous-des-enfants-a-charge": "",
            "commune": "Saint-Martin-de-Londres (34)",
            "date": "",
        },
    )
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == PARCOURS
    assert parse_qs(url.query) == {"commune": ["Saint-Martin-de-Londres (34)"], "choix": ["locataire", "francais"]}


def test_the_journey_routes_each_step_to_the_bodies_of_the_commune(demenage) -> None:  # noqa: ANN001
    assert demenage.status_code == 200
    html = text(demenage)
    assert "Je déménage : votre parcours à Saint-Martin-de-Londres" in html
    # Answers recalled, with a way back to the questionnaire pre-filled.
    recap = html.split('id="vos-reponses"')[1].split("</div>")[0]
    assert "Situation avant le déménagement :</span> <strong>Locataire</strong>" in recap
    assert "Situation professionnelle :</span> <strong>Salarié du secteur privé</strong>" in recap
    assert "Saint-Martin-de-Londres</strong> (34274)" in recap
    edit = re.search(r'href="([^"]+)" id="modifier-reponses">Modifier mes réponses', html)
    assert edit and edit.group(1).startswith(DEMENAGE) and "choix=salarie-du-secteur-prive" in edit.group(1)
    # The electoral roll: the mairie; family benefits: the CAF; household waste: the communauté de communes.
    assert "Mairie de Saint-Martin-de-Londres" in block(html, "sc-competent", "data-fiche", "F1372")
    assert "CAF de l&#x27;Hérault" in block(html, "sc-competent", "data-fiche", "F2008")
    assert "CAF de l&#x27;Hérault" in block(html, "sc-competent", "data-fiche", "F827")
    waste = block(html, "sc-competent", "data-fiche", "F22730")
    # Calm words for the local difference: what the national fiche says, who does it here, where to go.
    assert "CC du Grand Pic Saint-Loup" in waste and "Bon à savoir : la fiche nationale indique" in waste
    assert "Différent de service-public.fr" not in html and "fr-badge--warning" not in waste
    # The tenant's step, not the owner's.
    assert '<li class="sc-fiche" data-fiche="F1168">' in html and "F2604" not in html
    # Offices: the known body, or the class of office and a working link.
    assert re.search(r'data-pivot="caf" data-classe="guichet">.*?CAF de l&#x27;Hérault', html, re.S)
    assert 'href="https://www.anil.org/lanil-et-les-adil/votre-adil/"' in html
    assert 'data-pivot="msa" data-classe="reseau"' in html
    # The official content in place: sub-chapters as headings, real lists, links inside sentences.
    assert '<h3 class="sc-content__title">Organismes sociaux</h3>' in html
    assert (
        '<ul class="sc-content__list"><li>Le déménageur <a href="https://www.service-public.fr/particuliers/vosdroits/F33997"'
        in html
    )
    # Online services, steps in order, the linked journey as a link only.
    assert "https://psl.service-public.fr/mademarche/JeChangeDeCoordonnees/demarche" in html
    numbers = [int(n) for n in re.findall(r'<section class="sc-step[^"]*" id="etape-(\d+)"', html)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 10
    assert f'{GARDE}">J&#x27;ai besoin de faire garder mes enfants</a>' in html


def test_the_journey_is_shareable_and_printable(demenage) -> None:  # noqa: ANN001
    html = text(demenage)
    share = re.search(r'id="adresse-parcours" value="([^"]+)"', html).group(1).replace("&amp;", "&")
    url = urlsplit(share)
    assert url.path == PARCOURS
    assert parse_qs(url.query) == {"commune": ["Saint-Martin-de-Londres (34)"], "choix": ANSWERS}
    assert "Partager ce parcours" in html
    # The print / PDF button comes first, before the summary and the steps.
    assert html.index("Imprimer ou enregistrer en PDF") < html.index('id="essentiel"') < html.index('id="etape-1"')
    assert re.search(r'href="[^"]*/journeys/parcours-print\.css" media="print"', html)
    declare = re.search(r'href="([^"]+)" id="declarer"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(declare).query) == {"commune": ["Saint-Martin-de-Londres (34)"], "choix": ANSWERS}


def test_a_shared_url_with_a_name_shows_the_same_journey(referential, client: Client, demenage) -> None:  # noqa: ANN001
    again = client.get(PARCOURS, {"commune": "Saint-Martin-de-Londres (34)", "choix": ANSWERS})
    assert again.status_code == 200
    titles = [s.title for s in again.context["journey"].steps]
    assert titles == [s.title for s in demenage.context["journey"].steps]


def test_a_delegated_code_is_explained(referential, client: Client) -> None:
    response = client.get(PARCOURS, {"commune": "22007", "choix": ANSWERS})
    assert response.status_code == 200
    assert 'id="note-code"' in text(response) and "commune déléguée" in text(response)


def test_suggestions_can_fill_the_field_and_still_link_for_qui(referential, client: Client) -> None:
    fill = text(client.get("/communes/suggestions", {"commune": "Saint-Martin-de", "choisir": "1"}))
    assert '<button type="button" class="sc-suggestion" data-commune="Saint-Martin-de-Londres (34)"' in fill
    assert "href=" not in fill
    links = text(client.get("/communes/suggestions", {"commune": "Saint-Martin-de"}))
    assert 'href="/?code=34274&amp;commune=Saint-Martin-de-Londres%20%2834%29"' in links


@pytest.mark.parametrize("path", ["/moments-de-vie/je-n-existe-pas/", "/moments-de-vie/je-n-existe-pas/parcours"])
def test_unknown_life_event_is_a_french_404(referential, client: Client, path: str) -> None:
    response = client.get(path, {"commune": "34274"})
    assert response.status_code == 404
    assert "Page introuvable" in text(response) and "Moment de vie inconnu : « je-n-existe-pas »" in text(response)


@pytest.mark.parametrize(
    ("params", "status", "message", "field"),
    [
        ({"commune": "34274", "choix": ["zzz"]}, 400, "Choix inconnu pour « Je déménage » : « zzz »", "choix"),
        (
            {"commune": "34274", "choix": ["locataire", "proprietaire"]},
            400,
            "Deux réponses à la même question « Situation avant le déménagement »",
            "choix",
        ),
        ({"commune": "Zzyzx-sur-Rien", "choix": ["locataire"]}, 404, "Aucune commune ne s&#x27;appelle", "commune"),
        ({"commune": "Saint-Denis", "choix": ["locataire"]}, 400, "Plusieurs communes s&#x27;appellent", "commune"),
        ({"commune": "", "choix": ["locataire"]}, 400, "Indiquez une commune", "commune"),
        ({"commune": "99999"}, 404, "Aucune commune ne porte le code INSEE 99999", "commune"),
        ({"commune": "34274", "date": "2024-13-45"}, 400, "n&#x27;est pas une date valide", "date"),
    ],
)
def test_bad_input_redisplays_the_questionnaire_with_a_french_error(
    referential, client: Client, params: dict, status: int, message: str, field: str
) -> None:
    response = client.get(PARCOURS, params)
    assert response.status_code == status
    html = text(response)
    assert '<div class="fr-alert fr-alert--error fr-mb-4w" role="alert" id="erreur-parcours">' in html
    assert message in html and response.context["error_field"] == field
    assert 'id="questionnaire"' in html and "<h1>Je déménage</h1>" in html
    assert response.templates[0].name == "journeys/moment_de_vie.html"
    for choice in params.get("choix", []):
        if choice != "zzz":
            assert f'value="{choice}" checked' in html  # the answers are kept


def test_an_ambiguous_commune_offers_journey_links(referential, client: Client) -> None:
    html = text(client.get(PARCOURS, {"commune": "Saint-Denis", "choix": ["locataire"]}))
    assert f'href="{PARCOURS}?commune=Saint-Denis%20%2893%29&amp;choix=locataire"' in html


def test_a_move_asks_the_commune_left_and_carries_both_communes(referential, client: Client) -> None:
    form = text(client.get(DEMENAGE))
    assert 'id="commune_depart" name="commune_depart"' in form and "Commune que vous quittez" in form
    assert "Commune où vous vous installez" in form
    assert 'name="commune_depart"' not in text(client.get(GARDE))  # only a move asks it
    response = client.get(PARCOURS, {"commune": "34274", "commune_depart": "Savenay", "choix": ANSWERS})
    assert response.status_code == 200
    html = text(response)
    assert "Commune quittée :</span> <strong>Savenay</strong>" in html
    assert 'id="commune-quittee"' in html and "Mairie de Savenay" in html
    declare = re.search(r'href="([^"]+)" id="declarer"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(declare).query) == {
        "commune": ["Saint-Martin-de-Londres (34)"],
        "commune_depart": ["Savenay (44)"],
        "choix": ANSWERS,
    }
    share = re.search(r'id="adresse-parcours" value="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(share).query)["commune_depart"] == ["Savenay (44)"]
    bad = client.get(PARCOURS, {"commune": "34274", "commune_depart": "Zzyzx-sur-Rien", "choix": ANSWERS})
    assert bad.status_code == 404 and bad.context["error_field"] == "commune_depart"


def test_unanswered_questions_are_said_before_the_journey(referential, client: Client) -> None:
    partial = {"commune": "34274", "choix": ["locataire", "francais", "oui"]}
    response = client.get(PARCOURS, partial)
    assert response.status_code == 200 and response.templates[0].name == "journeys/moment_de_vie.html"
    html = text(response)
    assert 'id="reponses-manquantes"' in html and "<strong>Situation professionnelle</strong>" in html
    assert "Jours de congés" in html
    anyway = client.get(PARCOURS, {**partial, "partiel": "1"})
    assert anyway.status_code == 200 and anyway.templates[0].name == "journeys/parcours.html"
    assert 'id="sans-reponse"' in text(anyway) and "Situation professionnelle" in text(anyway)
