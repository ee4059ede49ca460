"""`sanscouture demo`: idempotent, clearly fake, refused in production."""

import os
import subprocess
import sys
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
    # Two guichet-unique cases; the births of the network's demo (issue 12) are marked « DÉMO Réseau-… », those of
    # vis mon job's and the gatherings' (issue 13) « DÉMO Vis-mon-job-… », « DÉMO Voisins-… ».
    assert counts() == before
    assert Case.objects.exclude(data__values__nom__regex=r"^DÉMO (Réseau|Vis-mon-job|Voisins)-").count() == 2
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
    people = get_user_model().objects.filter(api_token__isnull=True)  # API tokens' service accounts aside
    assert all(u.username.startswith("demo-") for u in people)
    move = Case.objects.get(life_event_title__icontains="déménage")
    assert move.submitted_by.username == "demo-guichet-savenay"  # declared at the counter, recorded
    assert {t.body.key for t in move.tasks.all()} >= {"mairie:44195", "mairie:34274", "caf:34", "caf:44"}


def test_demo_refuses_to_run_in_production(referential, monkeypatch):
    monkeypatch.setenv("SANSCOUTURE_PRODUCTION", "1")
    with pytest.raises(CommandError):
        run()
    assert not Case.objects.exists()


def test_demo_json_gives_every_login_and_a_working_token_per_body(referential):
    import json

    from django.test import Client

    from sanscouture.accounts.testing import totp_code_from_secret

    out = StringIO()
    call_command("demo", "--json", mot_de_passe="demo-motdepasse-solide-42", stdout=out, stderr=StringIO())
    document = json.loads(out.getvalue())  # standard output is the JSON document and nothing else
    assert set(document) == {
        "agents",
        "api_tokens",
        "actions",
        "vis_mon_job",
        "webhooks",
        "rencontres",
        "open311",
    }
    assert all(isinstance(pair, int) for pair in document["vis_mon_job"].values())
    agents = {a["username"]: a for a in document["agents"]}
    caf = agents["demo-caf-34"]
    assert caf["role"] == "admin" and caf["password"] == "demo-motdepasse-solide-42"
    assert caf["body"]["cle"] == "caf:34" and caf["body"]["nom"] and isinstance(caf["body"]["id"], int)
    assert {a["role"] for a in agents.values()} == {"admin", "agent"}
    assert len(totp_code_from_secret(caf["totp_secret"])) == 6
    tokens = document["api_tokens"]
    assert set(tokens) == {a["body"]["cle"] for a in agents.values()}
    assert all(t.startswith("sc_") for t in tokens.values())
    # Each token acts as its body, with the référent role: it may declare for it.
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens['caf:34']}")
    assert client.get("/api/v1/taches").status_code == 200
    declared = client.post(
        "/api/v1/declarations",
        {
            "structure": caf["body"]["id"],
            "competence": "prestations-familiales",
            "communes": ["34274"],
            "debut": "2026-01-01",
            "fondement": "convention",
        },
        content_type="application/json",
    )
    assert declared.status_code == 201, declared.json()
    # A second run prints the same tokens and creates none.
    again = StringIO()
    call_command("demo", "--json", stdout=again, stderr=StringIO())
    assert json.loads(again.getvalue())["api_tokens"] == tokens
    from sanscouture.accounts.models import ApiToken

    assert ApiToken.objects.filter(name="Démo").count() == len(tokens)


def test_demo_on_a_database_not_prepared_says_where_to_run_it(tmp_path):
    """Run from another folder, the command finds an empty SQLite file there: a French error, no traceback."""
    empty = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    env = {**os.environ, "SANSCOUTURE_DATA_DIR": str(tmp_path), "DATABASE_URL": empty}
    done = subprocess.run(
        [sys.executable, "-m", "sanscouture.cli", "demo"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "n'est pas prête (migrations non appliquées)" in done.stderr
    assert "Traceback" not in done.stderr
