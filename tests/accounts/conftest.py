import pytest
from django.test import Client

from sanscouture.accounts.testing import totp_code

PIC = "epci:200022986"
PASSWORD = "motdepasse-solide-42"


@pytest.fixture
def agent(referential):
    """(user, device) of an administrator of the CC du Grand Pic Saint-Loup."""
    from sanscouture.accounts.services import agent_create

    return agent_create(
        username="claire", email="claire@pic.example", password=PASSWORD, body=referential.body(PIC), role="admin"
    )


def password_step(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post("/connexion/", {"username": username, "password": password, **extra})


def full_login(client: Client, user, device, *, next_url: str = "/declarations/"):
    first = password_step(client, user.username, next=next_url)
    assert first.status_code == 302 and first["Location"] == "/connexion/code/", first.content[:500]
    second = client.post("/connexion/code/", {"code": totp_code(device)})
    assert second.status_code == 302, second.content[:800]
    return second


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
