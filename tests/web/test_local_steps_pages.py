"""The agent screen for local steps (/etapes-locales/): add for one's own bodies, list, withdraw."""

from datetime import date
from html import unescape

from django.test import Client
from django.urls import reverse

from sanscouture.bodies.models import Body
from sanscouture.journeys.models import LocalStep
from sanscouture.journeys.selectors import journey_compute

PIC = "epci:200022986"  # CC du Grand Pic Saint-Loup
SAINT_MARTIN = "34274"  # Saint-Martin-de-Londres, a member commune
EXPECTING = "F16225"  # J'attends un enfant
PAGE = "/etapes-locales/"


def text(response) -> str:  # noqa: ANN001
    return unescape(response.content.decode())


def step_data(body_pk: int, **extra: str) -> dict[str, object]:
    return {
        "body": body_pk,
        "life_event": EXPECTING,
        "title": "Inscription au relais petite enfance",
        "description": "Prendre rendez-vous avec le relais de la communauté de communes.",
        "url": "https://www.exemple.fr/relais",
        "start": date.today().isoformat(),
        "end": "",
        **extra,
    }


def local_titles(commune: str = SAINT_MARTIN) -> list[str]:
    journey = journey_compute(life_event=EXPECTING, choices=[], commune=commune)
    return [s.title for s in journey.steps if s.local_body]


def test_anonymous_people_are_sent_to_login(db, client: Client) -> None:  # noqa: ANN001
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"] == "/connexion/?next=/etapes-locales/"
    withdraw = client.post(reverse("web:etape_locale_withdraw", args=[1]))
    assert withdraw.status_code == 302 and withdraw["Location"].startswith("/connexion/")


def test_admin_adds_a_step_that_shows_in_the_journey_of_a_member_commune(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC))
    pic = referential.body(PIC)
    page = client.get(PAGE)
    assert page.status_code == 200 and "J'attends un enfant" in text(page)
    assert list(page.context["form"].fields["body"].queryset) == [pic]
    response = client.post(PAGE, step_data(pic.pk), follow=True)
    assert response.status_code == 200
    html = text(response)
    assert "Étape enregistrée : « Inscription au relais petite enfance »" in html
    step = LocalStep.objects.get()
    assert (step.body, step.life_event, step.end) == (pic, EXPECTING, None)
    assert f'data-etape="{step.pk}"' in html and "Retirer" in html
    assert local_titles() == ["Inscription au relais petite enfance"]
    assert local_titles("34172") == []  # Montpellier: another intercommunality


def test_plain_agent_is_refused(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC, role="agent"))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Votre compte n'est habilité à ajouter des étapes locales pour aucune structure" in text(page)
    assert client.post(PAGE, step_data(referential.body(PIC).pk)).status_code == 403
    assert not LocalStep.objects.exists()


def test_bad_link_is_a_french_error_and_nothing_is_created(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC))
    pk = referential.body(PIC).pk
    response = client.post(PAGE, step_data(pk, url="ftp://exemple.fr/relais"))
    assert response.status_code == 400
    assert "Le lien doit commencer par https://." in text(response)
    response = client.post(PAGE, step_data(pk, url="https://pas une adresse"))
    assert response.status_code == 400 and "Le lien n'est pas une adresse web valide" in text(response)
    later = client.post(PAGE, step_data(pk, start="2026-03-01", end="2026-02-01"))
    assert later.status_code == 400 and "La date de fin précède la date de début." in text(later)
    assert not LocalStep.objects.exists()


def test_another_bodys_structure_is_refused(referential, client: Client) -> None:
    referential.login(client, referential.agent(PIC))
    other = Body.objects.filter(kind="epci").exclude(key=PIC).first()
    response = client.post(PAGE, step_data(other.pk))
    assert response.status_code == 400
    assert "Vous ne pouvez pas ajouter d'étape pour cette structure." in text(response)
    assert not LocalStep.objects.exists()


def test_withdraw_own_step_and_foreign_step_is_404(referential, client: Client) -> None:
    pic = referential.body(PIC)
    owner = referential.agent(PIC, username="proprietaire")
    referential.login(client, owner)
    client.post(PAGE, step_data(pic.pk))
    own = LocalStep.objects.get()
    other = Body.objects.filter(kind="epci").exclude(key=PIC).first()
    foreign = LocalStep.objects.create(
        body=other, life_event=EXPECTING, title="Étape d'ailleurs", start=date(2025, 1, 1), created_by=owner
    )
    assert "Étape d'ailleurs" not in text(client.get(PAGE))
    assert client.post(reverse("web:etape_locale_withdraw", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.withdrawn_at is None
    response = client.post(reverse("web:etape_locale_withdraw", args=[own.pk]), follow=True)
    assert response.status_code == 200 and "Étape retirée" in text(response)
    own.refresh_from_db()
    assert own.withdrawn_at is not None
    assert local_titles() == []
    # Withdrawn already: a second time is a 404.
    assert client.post(reverse("web:etape_locale_withdraw", args=[own.pk])).status_code == 404


def test_post_enforces_csrf(referential) -> None:
    client = Client(enforce_csrf_checks=True)
    user = referential.agent(PIC)
    referential.login(client, user)
    pic = referential.body(PIC)
    assert client.post(PAGE, step_data(pic.pk)).status_code == 403
    assert not LocalStep.objects.exists()
    step = LocalStep.objects.create(
        body=pic, life_event=EXPECTING, title="Relais", start=date(2025, 1, 1), created_by=user
    )
    assert client.post(reverse("web:etape_locale_withdraw", args=[step.pk])).status_code == 403
    step.refresh_from_db()
    assert step.withdrawn_at is None
