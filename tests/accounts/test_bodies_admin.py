"""A body's administrator: invitations by e-mail, roles, removal, API tokens; audit rows; 404 elsewhere."""

from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from sanscouture.accounts.models import AccountEvent, ApiToken, Invitation, Membership
from sanscouture.accounts.testing import totp_code_from_secret

PIC = "epci:200022986"


@pytest.fixture
def admin_client(agent, referential):
    user, _ = agent
    client = Client()
    referential.login(client, user)
    return client


def invite(admin_client, body, django_capture_on_commit_callbacks, email="lea@pic.example", role="referent"):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/structures/{body.pk}/agents/", {"email": email, "role": role})
    assert response.status_code == 302, response.content[:1000]
    token = mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]
    return token


def test_admin_lists_agents_and_invites_by_email(admin_client, referential, django_capture_on_commit_callbacks):
    pic = referential.body(PIC)
    page = admin_client.get(f"/structures/{pic.pk}/agents/")
    assert page.status_code == 200 and "claire" in page.content.decode()
    token = invite(admin_client, pic, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["lea@pic.example"] and "CC du Grand Pic Saint-Loup" in message.subject
    assert "valable 7 jours" in message.body
    inv = Invitation.objects.get()
    assert inv.token_hash != token and token not in inv.token_hash and inv.role == "referent"
    assert inv.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert AccountEvent.objects.filter(action="invited", actor__username="claire", invitation=inv).exists()


def test_invitation_sets_password_then_totp(admin_client, referential, django_capture_on_commit_callbacks):
    pic = referential.body(PIC)
    token = invite(admin_client, pic, django_capture_on_commit_callbacks)
    newcomer = Client()
    page = newcomer.get(f"/invitation/{token}/")
    assert page.status_code == 200 and "Rejoindre CC du Grand Pic Saint-Loup" in page.content.decode()
    weak = newcomer.post(f"/invitation/{token}/", {"username": "lea", "password1": "1234", "password2": "1234"})
    assert weak.status_code == 400 and "trop court" in weak.content.decode()
    accepted = newcomer.post(
        f"/invitation/{token}/",
        {"username": "lea", "password1": "une-phrase-de-passe-longue", "password2": "une-phrase-de-passe-longue"},
    )
    assert accepted.status_code == 302 and accepted["Location"] == "/connexion/double-authentification/"
    secret = newcomer.get(accepted["Location"]).context["secret"].replace(" ", "")
    done = newcomer.post(accepted["Location"], {"code": totp_code_from_secret(secret)})
    assert done.status_code == 302
    assert newcomer.get("/declarations/").status_code == 200
    membership = Membership.objects.get(user__username="lea")
    assert membership.body == pic and membership.role == "referent" and membership.user.email == "lea@pic.example"
    assert AccountEvent.objects.filter(action="joined", user=membership.user).exists()
    # Single use.
    assert Client().get(f"/invitation/{token}/").status_code == 404


def test_expired_or_unknown_invitations_are_404(admin_client, referential, django_capture_on_commit_callbacks):
    token = invite(admin_client, referential.body(PIC), django_capture_on_commit_callbacks)
    with patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=8)):
        assert Client().get(f"/invitation/{token}/").status_code == 404
    response = Client().get("/invitation/pas-un-jeton/")
    assert response.status_code == 404 and "inconnu, déjà utilisé ou expiré" in response.content.decode()


def test_role_change_and_removal_are_audited(admin_client, agent, referential):
    pic = referential.body(PIC)
    paul = referential.agent(PIC, role="agent", username="paul")
    m = Membership.objects.get(user=paul)
    assert (
        admin_client.post(f"/structures/{pic.pk}/agents/{m.pk}/role", {f"m{m.pk}-role": "referent"}).status_code == 302
    )
    m.refresh_from_db()
    assert m.role == "referent"
    assert admin_client.post(f"/structures/{pic.pk}/agents/{m.pk}/retirer").status_code == 302
    assert not Membership.objects.filter(pk=m.pk).exists()
    paul.refresh_from_db()
    assert not paul.is_active
    actions = list(AccountEvent.objects.filter(user=paul).values_list("action", flat=True))
    assert sorted(actions) == ["deactivated", "role_changed"]


def test_the_last_admin_cannot_leave(admin_client, agent, referential):
    pic = referential.body(PIC)
    me = Membership.objects.get(user=agent[0])
    response = admin_client.post(f"/structures/{pic.pk}/agents/{me.pk}/retirer", follow=True)
    assert "au moins un administrateur" in response.content.decode()
    assert Membership.objects.filter(pk=me.pk).exists()


@pytest.mark.parametrize("role", ["agent", "referent"])
def test_non_admins_and_other_bodies_get_404(referential, role):
    pic = referential.body(PIC)
    client = Client()
    referential.login(client, referential.agent(PIC, role=role))
    assert client.get(f"/structures/{pic.pk}/agents/").status_code == 404
    assert client.get(f"/structures/{pic.pk}/jetons/").status_code == 404
    other_admin = Client()
    referential.login(other_admin, referential.agent("mairie:34172", role="admin"))
    m = Membership.objects.get(body=pic)
    assert other_admin.get(f"/structures/{pic.pk}/agents/").status_code == 404
    assert other_admin.post(f"/structures/{pic.pk}/agents/{m.pk}/retirer").status_code == 404
    assert other_admin.post(f"/structures/{pic.pk}/agents/", {"email": "x@y.fr", "role": "admin"}).status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.urls("tests.accounts.api_urls")
def test_api_token_acts_for_its_body_only(admin_client, agent, referential):
    pic = referential.body(PIC)
    created = admin_client.post(f"/structures/{pic.pk}/jetons/", {"name": "Logiciel RH", "role": "agent"})
    raw = created.context["created"]
    assert created.status_code == 201 and raw.startswith("sc_") and raw in created.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash != raw and raw not in admin_client.get(f"/structures/{pic.pk}/jetons/").content.decode()
    api = Client()
    who = api.get("/api/moi", headers={"Authorization": f"Bearer {raw}"})
    assert who.status_code == 200
    assert who.json() == {"user": token.service_user.username, "bodies": [PIC], "token": "Logiciel RH"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    # Bearer tokens need no CSRF token (no cookie is involved).
    assert api.post("/api/ecrire", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert api.get("/api/moi", headers={"Authorization": "Bearer sc_faux"}).status_code == 401
    assert api.get("/api/moi").status_code == 401
    # The session path gives the agent and their bodies.
    assert admin_client.get("/api/moi").json() == {"user": "claire", "bodies": [PIC], "token": None}
    # Revoked: refused at once.
    assert admin_client.post(f"/structures/{pic.pk}/jetons/{token.pk}/revoquer").status_code == 302
    assert api.get("/api/moi", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert set(AccountEvent.objects.values_list("action", flat=True)) == {"token_created", "token_revoked"}


@pytest.mark.urls("tests.accounts.api_urls")
def test_api_session_needs_the_second_factor(agent, referential):
    user, _ = agent
    client = Client()
    client.force_login(user)  # password only
    assert client.get("/api/moi").status_code == 401
