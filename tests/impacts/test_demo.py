"""Issue 11's « done when », through `sanscouture demo`: the Région Occitanie's school-bus change, its notices, two
answers, the open move case and the public journey page, the Atom feed."""

from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from sanscouture.impacts.models import Action, Notice


def test_demo_declares_the_school_bus_change_and_two_bodies_answer(referential):
    out = StringIO()
    call_command("demo", stdout=out, mot_de_passe="demo-motdepasse-solide-42")
    call_command("demo", stdout=StringIO(), mot_de_passe="demo-motdepasse-solide-42")  # idempotent
    action = Action.objects.get()
    assert action.body.key == "region:76" and action.status == "publiee" and action.start.day == 1
    keys = set(Notice.objects.filter(action=action).values_list("body__key", flat=True))
    assert {"epci:200022986", "departement:34", "mairie:34274"} <= keys and len(keys) == 38
    answered = dict(Notice.objects.exclude(answer="").values_list("body__key", "answer"))
    assert answered == {"mairie:34274": "pris_en_compte", "departement:34": "adaptation"}
    assert "38 avis, 2 réponses" in out.getvalue()
    move = next(n for n in Notice.objects.filter(body__key="mairie:34274"))
    assert move.reasons and "Saint-Martin-de-Londres" in " ".join(move.reasons)
    # The open « Je déménage » case in Saint-Martin-de-Londres shows the action to its agents.
    from sanscouture.cases.models import Case

    case = Case.objects.get(life_event_title__icontains="déménage", commune__insee_code="34274")
    mairie = Client()
    from django.contrib.auth import get_user_model

    referential.login(mairie, get_user_model().objects.get(username="demo-mairie-saint-martin"))
    assert f'data-action="{action.pk}"' in mairie.get(f"/dossiers/{case.public_id}/").content.decode()
    # The public journey page of Saint-Martin-de-Londres during the period, and the commune's Atom feed.
    on = max(action.start, timezone.localdate())
    page = (
        Client()
        .get(
            "/moments-de-vie/je-demenage/parcours",
            {"commune": "34274", "choix": ["locataire", "francais", "oui", "salarie-du-secteur-prive"], "date": on},
        )
        .content.decode()
    )
    assert action.title in page
    assert action.title in Client().get("/flux/communes/34274/actions.atom").content.decode()
