"""`sanscouture demo`: idempotent, clearly fake, refused in production."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from sanscouture.accounts.models import Membership
from sanscouture.cases.models import Case, Task


def run(**options) -> str:  # noqa: ANN003
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (get_user_model().objects.count(), Membership.objects.count(), Case.objects.count(), Task.objects.count())


def test_demo_is_idempotent_and_prints_logins_and_links(referential):
    first = run(mot_de_passe="demo-motdepasse-solide-42")
    before = counts()
    second = run(mot_de_passe="demo-motdepasse-solide-42")
    assert counts() == before and Case.objects.count() == 2
    for line in (
        "demo-mairie-savenay / demo-motdepasse-solide-42",
        "demo-guichet-savenay",
        "demo-caf-34",
        "demo-departement-34",
        "demo-cpam-34",
        "secret TOTP",
        "otpauth://totp/",
    ):
        assert line in first
    links = [line for line in first.splitlines() if "/suivi/" in line]
    assert len(links) == 2 and links == [line for line in second.splitlines() if "/suivi/" in line]
    assert all(u.username.startswith("demo-") for u in get_user_model().objects.all())
    move = Case.objects.get(life_event_title__icontains="déménage")
    assert move.submitted_by.username == "demo-guichet-savenay"  # declared at the counter, recorded
    assert {t.body.key for t in move.tasks.all()} >= {"mairie:44195", "mairie:34274", "caf:34", "caf:44"}


def test_demo_refuses_to_run_in_production(referential, monkeypatch):
    monkeypatch.setenv("SANSCOUTURE_PRODUCTION", "1")
    with pytest.raises(CommandError):
        run()
    assert not Case.objects.exists()
