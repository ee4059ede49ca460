"""Demo data of the responsabilité collective (issue 11's « done when »): the Région Occitanie changes the
school-bus timetable in the communes of the CC du Grand Pic Saint-Loup from 1 September; the communes, the CC and
the Département de l'Hérault get a notice; the mairie of Saint-Martin-de-Londres and the Département answer (the
latter with an adaptation). Idempotent; run by `sanscouture demo` after the cases' demo (agents come from there)."""

from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from sanscouture.bodies.models import Body

from .models import Action, Notice
from .services import action_declare, action_publish, notice_answer

TITLE = "DÉMO — Nouveaux horaires des cars scolaires (rentrée)"
ANSWERS = [
    ("demo-mairie-saint-martin", "mairie:34274", "pris_en_compte", ""),
    (
        "demo-departement-34",
        "departement:34",
        "adaptation",
        "Les collégiens de Saint-Martin-de-Londres arriveraient 25 minutes avant l'ouverture du collège : nous "
        "proposons de décaler le départ de 10 minutes.",
    ),
]


def _school_year(today: date) -> tuple[date, date]:
    """From 1 September of the current school year to early July."""
    year = today.year if today.month >= 9 else today.year - 1
    return date(year, 9, 1), date(year + 1, 7, 3)


def demo_actions() -> list[Action]:
    users = get_user_model().objects
    region = Body.objects.get(key="region:76")
    action = Action.objects.filter(body=region, title=TITLE).first()
    if action is None:
        start, end = _school_year(timezone.localdate())
        declarant = users.get(username="demo-region-occitanie")
        action = action_declare(
            actor=declarant,
            body=region,
            kind="service",
            title=TITLE,
            description="Les cars scolaires des lignes du Grand Pic Saint-Loup partent 10 minutes plus tôt le matin.",
            contact="Service régional des transports scolaires de l'Hérault",
            start=start,
            end=end,
            communes=[],
            territory="epci:200022986",
            competences=["transport-scolaire"],
            cause="OTHER_CAUSE",
            effect="MODIFIED_SERVICE",
            severity="INFO",
        )
        action = action_publish(actor=declarant, action=action)
    for username, key, answer, text in ANSWERS:
        notice = Notice.objects.filter(action=action, body__key=key).first()
        if notice is not None and not notice.answer:
            notice_answer(actor=users.get(username=username), notice=notice, answer=answer, text=text)
    return [action]
