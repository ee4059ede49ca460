"""The administrator's webhook pages and /api/v1/webhooks: subscribe, secret shown once, rotate, disable, reactivate,
deliveries and replay; bad input changes nothing."""

import pytest
from django.test import Client
from standardwebhooks import Webhook

from sanscouture.accounts.services import api_token_create
from sanscouture.cases.services import task_status_set
from sanscouture.webhooks.models import Delivery, DeliveryStatus, Subscription, SubscriptionStatus
from sanscouture.webhooks.services import webhooks_deliver

from .conftest import declare

CAF = "caf:34"


@pytest.fixture
def admin(referential):  # noqa: ANN001, ANN201
    return referential.agent(CAF, role="admin", username="admin-caf34")


@pytest.fixture
def api(admin, referential):  # noqa: ANN001, ANN201
    _, raw = api_token_create(body=referential.body(CAF), name="logiciel", role="referent", created_by=admin)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_api_subscribe_deliver_list_replay_rotate(api, admin, referential, receivers):  # noqa: ANN001
    receiver = receivers()
    body = referential.body(CAF)
    r = api.post(
        "/api/v1/webhooks",
        {"structure": body.pk, "url": receiver.url, "evenements": ["tache.modifiee", "orientation.*"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    created = r.json()
    secret, webhook_id = created["secret"], created["id"]
    assert secret.startswith("whsec_") and created["statut"] == "active"
    assert "secret" not in api.get(f"/api/v1/webhooks/{webhook_id}").json(), "shown once"
    assert [w["id"] for w in api.get("/api/v1/webhooks").json()] == [webhook_id]

    agent = referential.agent(CAF, role="agent", username="agent-caf34")
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    [delivery] = api.get(f"/api/v1/webhooks/{webhook_id}/livraisons").json()
    assert delivery["statut"] == "delivered" and delivery["dernier_code_http"] == 204

    r = api.post(f"/api/v1/webhooks/{webhook_id}/livraisons/{delivery['id']}/rejouer")
    assert r.status_code == 200 and r.json()["statut"] == "pending"
    webhooks_deliver()
    assert [x.headers["webhook-id"] for x in receiver.received] == [delivery["id"]] * 2

    r = api.post(f"/api/v1/webhooks/{webhook_id}/secret")
    new = r.json()["secret"]
    assert new != secret and r.json()["ancien_secret_valide_jusqu_au"]
    task_status_set(task=task, status="done", actor=agent)
    webhooks_deliver()
    assert Webhook(secret).verify(receiver.received[-1].body, receiver.received[-1].headers)
    assert Webhook(new).verify(receiver.received[-1].body, receiver.received[-1].headers)

    assert api.post(f"/api/v1/webhooks/{webhook_id}/desactivation").json()["statut"] == "disabled"
    r = api.post(f"/api/v1/webhooks/{webhook_id}/livraisons/{delivery['id']}/rejouer")
    assert r.status_code == 409 and r.json()["erreur"]["code"] == "webhook_etat_invalide"
    assert api.post(f"/api/v1/webhooks/{webhook_id}/reactivation").json()["statut"] == "active"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"url": "http://127.0.0.1:9/h", "evenements": ["tache.modifiee"]}, "webhook_url_invalide"),
        ({"url": "https://127.0.0.1:9/h", "evenements": ["dossier.supprime"]}, "webhook_evenement_inconnu"),
        (
            {"url": "https://127.0.0.1:9/h", "evenements": ["tache.modifiee"], "champs_personnels": ["nir"]},
            "webhook_champ_inconnu",
        ),
    ],
)
def test_api_bad_input_is_a_clear_error_and_changes_nothing(api, referential, payload, code):  # noqa: ANN001
    r = api.post(
        "/api/v1/webhooks", {"structure": referential.body(CAF).pk, **payload}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["erreur"]["code"] == code
    assert r.json()["erreur"]["message"]
    assert not Subscription.objects.exists()


def test_private_address_refused_in_production_settings(api, referential, settings):  # noqa: ANN001
    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = False
    r = api.post(
        "/api/v1/webhooks",
        {"structure": referential.body(CAF).pk, "url": "https://192.168.1.20/h", "evenements": ["avis.nouveau"]},
        content_type="application/json",
    )
    assert r.status_code == 400 and "réseau privé" in r.json()["erreur"]["message"]
    assert not Subscription.objects.exists()


def test_administrator_pages(admin, referential, receivers):  # noqa: ANN001
    receiver = receivers()
    body = referential.body(CAF)
    client = Client()
    referential.login(client, admin)
    page = f"/structures/{body.pk}/webhooks/"
    assert "Abonner une adresse" in client.get(page).content.decode()
    r = client.post(page, {"url": "http://exemple.fr/h", "events": ["tache.modifiee"]})
    assert r.status_code == 400 and "https://" in r.content.decode()
    assert not Subscription.objects.exists()
    r = client.post(page, {"url": receiver.url, "events": ["tache.modifiee"], "personal_fields": ["nom"]})
    assert r.status_code == 201
    subscription = Subscription.objects.get()
    secret = subscription.secrets.get().value
    assert secret in r.content.decode(), "the secret is shown once"
    assert secret not in client.get(page).content.decode()

    agent = referential.agent(CAF, role="agent", username="agent-caf34")
    task = declare().tasks.get(body__key=CAF)
    task_status_set(task=task, status="in_progress", actor=agent)
    webhooks_deliver()
    detail = f"{page}{subscription.public_id}/"
    html = client.get(detail).content.decode()
    delivery = Delivery.objects.get()
    assert delivery.message_id in html and "Livrée" in html
    r = client.post(f"{detail}livraisons/{delivery.message_id}/rejouer")
    assert r.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    r = client.post(f"{detail}secret")
    assert r.status_code == 200 and "Nouveau secret" in r.content.decode()
    client.post(f"{detail}desactiver")
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.DISABLED
    client.post(f"{detail}reactiver")
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    # The body's administration links to it.
    assert page in client.get(f"/structures/{body.pk}/agents/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "https://",
        "https://h:99999/x",
        "https://exä mple.fr/x",
        "https://" + "a" * 70 + ".fr/x",
        "https://[fe80::1%25eth0]/x",
        "ftp://exemple.fr/x",
        "https://exemple.invalid/x#frag",
        "x" * 501,
    ],
)
def test_odd_urls_are_400_never_500(api, referential, url):  # noqa: ANN001
    r = api.post(
        "/api/v1/webhooks",
        {"structure": referential.body(CAF).pk, "url": url, "evenements": ["avis.nouveau"]},
        content_type="application/json",
    )
    assert r.status_code in (400, 422), (url, r.status_code, r.content)
    assert not Subscription.objects.exists()


def test_deliveries_filter_and_unknown_ids(api, admin, referential, receivers):  # noqa: ANN001
    receiver = receivers()
    r = api.post(
        "/api/v1/webhooks",
        {"structure": referential.body(CAF).pk, "url": receiver.url, "evenements": ["tache.modifiee"]},
        content_type="application/json",
    )
    webhook_id = r.json()["id"]
    assert api.get(f"/api/v1/webhooks/{webhook_id}/livraisons?statut=delivered").json() == []
    assert api.get(f"/api/v1/webhooks/{webhook_id}/livraisons?statut=inconnu").status_code == 422
    assert api.get("/api/v1/webhooks/pas-un-uuid").status_code in (404, 422)
    r = api.post(f"/api/v1/webhooks/{webhook_id}/livraisons/msg_inexistant/rejouer")
    assert r.status_code == 404 and r.json()["erreur"]["code"] == "livraison_introuvable"
    assert {e["type"] for e in api.get("/api/v1/webhooks/evenements").json()} >= {"tache.modifiee", "avis.nouveau"}
