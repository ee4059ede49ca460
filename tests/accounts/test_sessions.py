"""Idle and absolute timeouts (moved clock), deactivation ends sessions server-side."""

from datetime import timedelta
from unittest.mock import patch

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from sanscouture.accounts.models import Membership

from .conftest import full_login


def at(minutes: float):
    return patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=minutes))


def test_idle_timeout(agent, client):
    user, device = agent
    full_login(client, user, device)
    idle = settings.SANSCOUTURE_SESSION_IDLE / 60
    with at(idle - 1):
        assert client.get("/declarations/").status_code == 200
    with at(2 * idle - 2):  # active a moment ago: still open
        assert client.get("/declarations/").status_code == 200
    with at(3 * idle):
        response = client.get("/declarations/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert not Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()


def test_absolute_timeout_even_when_active(agent, client):
    user, device = agent
    full_login(client, user, device)
    absolute = settings.SANSCOUTURE_SESSION_ABSOLUTE / 60
    step = settings.SANSCOUTURE_SESSION_IDLE / 60 - 5
    minute = 0.0
    while minute + step < absolute:
        minute += step
        with at(minute):
            assert client.get("/declarations/").status_code == 200, minute
    with at(absolute + 1):
        response = client.get("/declarations/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_defaults_are_30_minutes_and_12_hours():
    assert settings.SANSCOUTURE_SESSION_IDLE == 30 * 60 and settings.SANSCOUTURE_SESSION_ABSOLUTE == 12 * 3600


def test_deactivating_a_user_ends_their_sessions(agent, client):
    user, device = agent
    full_login(client, user, device)
    laptop = Client()
    full_login(laptop, user, device)
    assert Session.objects.count() == 2
    user.is_active = False
    user.save()
    assert Session.objects.count() == 0
    for c in (client, laptop):
        assert c.get("/declarations/").status_code == 302


def test_removing_the_last_membership_deactivates_and_logs_out(agent, referential, client):
    from sanscouture.accounts.services import membership_deactivate

    admin, _ = agent
    other = referential.agent("epci:200022986", role="agent", username="paul")
    referential.login(client, other)
    full = Client()
    from sanscouture.accounts.testing import totp_code

    full.post("/connexion/", {"username": "paul", "password": "motdepasse-solide-42"})
    full.post("/connexion/code/", {"code": totp_code(other.totpdevice_set.get())})
    assert full.get("/declarations/").status_code == 200
    membership_deactivate(membership=Membership.objects.get(user=other), actor=admin)
    other.refresh_from_db()
    assert not other.is_active
    assert full.get("/declarations/").status_code == 302
    assert client.get("/declarations/").status_code == 302
