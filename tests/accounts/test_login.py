"""Password then TOTP code; enrolment at first login; new session id; logout; rate limiting."""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from sanscouture.accounts.models import LoginFailure, LoginSession
from sanscouture.accounts.testing import totp_code, totp_code_from_secret

from .conftest import PASSWORD, full_login, password_step


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_password_then_code_reaches_the_agent_page(agent, client):
    user, device = agent
    response = full_login(client, user, device)
    assert response["Location"] == "/declarations/"
    assert client.get("/declarations/").status_code == 200
    assert LoginSession.objects.filter(user=user).count() == 1


def test_the_password_alone_does_not_open_agent_pages(agent, client):
    user, _ = agent
    assert password_step(client, user.username).status_code == 302
    assert not logged_in(client)
    response = client.get("/declarations/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_a_new_session_id_at_login(agent, client):
    user, device = agent
    client.get("/connexion/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen-id"
    password_step(client, user.username)
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/connexion/code/", {"code": totp_code(device)})
    after_code = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert len({"attacker-chosen-id", after_password, after_code}) == 3
    assert not Session.objects.filter(session_key=after_password).exists()  # the pre-login session is gone


def test_wrong_password_and_wrong_code_are_refused_in_french(agent, client):
    user, device = agent
    bad = password_step(client, user.username, "mauvais-mot-de-passe")
    assert bad.status_code == 200 and "Identifiant ou mot de passe incorrect" in bad.content.decode()
    password_step(client, user.username)
    code = client.post("/connexion/code/", {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert code.status_code == 400 and "Code incorrect ou expiré" in code.content.decode()
    assert not logged_in(client)


def test_a_used_code_cannot_be_replayed(agent, client):
    user, device = agent
    password_step(client, user.username)
    code = totp_code(device)
    assert client.post("/connexion/code/", {"code": code}).status_code == 302
    other = Client()
    password_step(other, user.username)
    assert other.post("/connexion/code/", {"code": code}).status_code == 400  # django-otp keeps the last step used
    assert not logged_in(other)


def test_first_login_enrols_a_totp_app(referential, client):
    from django.contrib.auth import get_user_model

    from sanscouture.accounts.models import Membership

    user = get_user_model().objects.create_user(username="nouveau", password=PASSWORD)
    Membership.objects.create(user=user, body=referential.body("epci:200022986"), role="agent")
    first = password_step(client, "nouveau")
    assert first["Location"] == "/connexion/double-authentification/"
    page = client.get("/connexion/double-authentification/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "Activer la double authentification" in html
    secret = page.context["secret"].replace(" ", "")
    assert client.get("/connexion/double-authentification/").context["secret"].replace(" ", "") == secret
    assert client.post("/connexion/double-authentification/", {"code": "12345a"}).status_code == 400
    done = client.post("/connexion/double-authentification/", {"code": totp_code_from_secret(secret)})
    assert done.status_code == 302 and logged_in(client)
    assert user.totpdevice_set.get().confirmed
    # Next time: the code page, not the enrolment.
    other = Client()
    assert password_step(other, "nouveau")["Location"] == "/connexion/code/"
    assert other.get("/connexion/double-authentification/")["Location"] == "/connexion/code/"


def test_code_page_without_password_step_goes_back_to_login(client, db):
    response = client.get("/connexion/code/")
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert client.get("/connexion/double-authentification/")["Location"] == "/connexion/"


def test_the_password_step_expires_after_five_minutes(agent, client):
    from datetime import timedelta
    from unittest.mock import patch

    from django.utils import timezone

    user, device = agent
    password_step(client, user.username)
    later = timezone.now() + timedelta(minutes=6)
    with patch("django.utils.timezone.now", return_value=later):
        response = client.post("/connexion/code/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert not logged_in(client)


def test_next_must_stay_on_this_site(agent, client):
    user, device = agent
    response = full_login(client, user, device, next_url="https://evil.example/")
    assert response["Location"] == "/taches/"  # agents land on their tasks


def test_logout_ends_the_session_on_the_server(agent, client):
    user, device = agent
    full_login(client, user, device)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    page = client.get("/deconnexion/")  # a GET shows the button, it does not log out
    assert page.status_code == 200 and Session.objects.filter(session_key=key).exists()
    html = page.content.decode()
    assert 'id="form-deconnexion"' in html and 'method="post"' in html and "csrfmiddlewaretoken" in html
    response = client.post("/deconnexion/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not LoginSession.objects.filter(user=user).exists()
    # Replaying the old cookie opens nothing.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/declarations/").status_code == 302


def test_failed_passwords_lock_the_username_with_a_429(agent, client):
    user, device = agent
    for _ in range(settings.SANSCOUTURE_LOGIN_MAX_FAILURES - 1):
        assert password_step(client, user.username, "faux").status_code == 200
    locked = password_step(client, user.username, "faux")
    assert locked.status_code == 429
    assert "Trop de tentatives de connexion échouées" in locked.content.decode()
    # Even the right password is refused while locked, from another address too.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert password_step(other, user.username).status_code == 429
    # No identifier in clear in the table.
    assert not LoginFailure.objects.filter(key__icontains=user.username).exists()


def test_lock_is_lifted_after_the_window(agent, client):
    from datetime import timedelta
    from unittest.mock import patch

    from django.utils import timezone

    user, device = agent
    for _ in range(settings.SANSCOUTURE_LOGIN_MAX_FAILURES):
        password_step(client, user.username, "faux")
    assert password_step(client, user.username).status_code == 429
    later = timezone.now() + timedelta(seconds=settings.SANSCOUTURE_LOGIN_WINDOW + 1)
    with patch("django.utils.timezone.now", return_value=later):
        assert password_step(client, user.username).status_code == 302


def test_failures_from_one_ip_lock_that_ip(agent, client):
    user, _ = agent
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(settings.SANSCOUTURE_LOGIN_MAX_FAILURES_PER_IP):
        password_step(attacker, f"inconnu-{i}", "faux")
    assert password_step(attacker, user.username).status_code == 429
    assert password_step(Client(REMOTE_ADDR="198.51.100.1"), user.username).status_code == 302


def test_wrong_codes_count_as_failures(agent, client):
    user, device = agent
    password_step(client, user.username)
    statuses = [client.post("/connexion/code/", {"code": "99999x"}).status_code for _ in range(5)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    assert password_step(Client(REMOTE_ADDR="198.51.100.2"), user.username).status_code == 429


def test_success_clears_the_username_failures(agent, client):
    user, device = agent
    for _ in range(settings.SANSCOUTURE_LOGIN_MAX_FAILURES - 1):
        password_step(client, user.username, "faux")
    full_login(client, user, device)
    assert password_step(Client(REMOTE_ADDR="198.51.100.3"), user.username, "faux").status_code == 200


def test_api_service_accounts_cannot_log_in(agent, client, referential):
    from sanscouture.accounts.services import api_token_create

    user, _ = agent
    token, _ = api_token_create(body=referential.body("epci:200022986"), name="SI", role="agent", created_by=user)
    assert password_step(client, token.service_user.username, PASSWORD).status_code == 200
    assert not logged_in(client)


def test_django_admin_login_goes_through_the_agent_login(agent, client):
    user, device = agent
    user.is_staff = user.is_superuser = True
    user.save()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/connexion/?next=%2Fadmin%2F"
    client.force_login(user)  # a session without the second factor
    assert client.get("/admin/").status_code == 302
    full_login(Client(), user, device)
    verified = Client()
    full_login(verified, user, device)
    assert verified.get("/admin/").status_code == 200
