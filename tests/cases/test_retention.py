"""Retention (TRUST.md) with a moved clock, due-date reminders with a fixed "today", and the periodic jobs the
worker runs daily (purge, reminders)."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sanscouture.cases.models import AccessLog, Case, Task, TaskStatus
from sanscouture.cases.services import access_log_purge, audit, case_close, declaration_submit
from sanscouture.notifications.models import Notification, NotificationKind, OutboxEmail, OutboxStatus
from sanscouture.notifications.periodic import UnknownJob, periodic_schedule, run_periodic_job
from sanscouture.notifications.services import notify, outbox_deliver

MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]
VALUES = {"nom": "Lefébure", "prenoms": "Aude", "numero_allocataire": "7654321", "date_naissance": "1988-02-03"}
TODAY = date(2026, 6, 1)


@contextmanager
def clock(at: datetime):
    """Move the clock: everything that reads `timezone.now()` (auto_now fields included) sees `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def declare() -> Case:
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune="34274",
        commune_from="44195",
        values=VALUES,
        consents=[],
        today=TODAY,
    )
    return case


def close(case: Case, *, days_ago: int) -> None:
    case.tasks.update(status=TaskStatus.DONE)
    with clock(timezone.now() - timedelta(days=days_ago)):
        case_close(case=case)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- Retention --------------------------------------------------------------------------------------------


def test_defaults_follow_the_references():
    assert settings.SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS == 365  # démarches-simplifiées: 12 months
    assert settings.SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS == 365  # CNIL: 6 to 12 months
    assert settings.SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS == 90


def test_purger_erases_a_case_closed_366_days_ago_and_keeps_one_closed_300_days_ago(referential):
    old, recent, still_open = declare(), declare(), declare()
    close(old, days_ago=366)
    close(recent, days_ago=300)
    out = run("purger")
    assert "1 dossier(s) clos effacé(s)" in out
    assert not any(v in out for v in VALUES.values())  # counts only, no personal data
    for case in (old, recent, still_open):
        case.refresh_from_db()
    assert old.purged_at and old.data.values == {}
    assert recent.purged_at is None and recent.data.values["nom"] == "Lefébure"
    assert still_open.purged_at is None and still_open.data.values["nom"] == "Lefébure"
    assert AccessLog.objects.filter(case_ref=str(old.public_id), purpose__startswith="purge").count() == 1
    assert "0 dossier(s) clos effacé(s)" in run("purger")  # idempotent

    with clock(timezone.now() + timedelta(days=66)):  # 366 days after the second closing
        assert "1 dossier(s) clos effacé(s)" in run("purger")
    recent.refresh_from_db()
    assert recent.purged_at and recent.data.values == {}


@pytest.mark.django_db
def test_sent_emails_and_notifications_older_than_the_delay_are_deleted_pending_ones_stay(django_user_model, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = django_user_model.objects.create_user(username="agent-purge", email="agent-purge@exemple.fr")
    now = timezone.now()

    def notice(key: str, at: datetime, *, deliver: bool) -> None:
        with clock(at):
            notify(
                recipients=[agent],
                kind=NotificationKind.MESSAGE,
                title="Nouveau message sur le dossier 4F2A9C1B",
                text="",
                url="/dossiers/4f2a9c1b/",
                dedupe_key=key,
            )
            if deliver:
                outbox_deliver()

    notice("old-sent", now - timedelta(days=91), deliver=True)
    notice("old-pending", now - timedelta(days=91), deliver=False)
    OutboxEmail.objects.filter(dedupe_key__startswith="old-pending").update(next_attempt_at=now + timedelta(days=1))
    notice("recent-sent", now - timedelta(days=80), deliver=True)

    out = run("purger")
    assert "2 notification(s) et 1 courriel(s) envoyé(s) supprimé(s)" in out
    assert "agent-purge" not in out
    assert set(Notification.objects.values_list("dedupe_key", flat=True)) == {"recent-sent"}
    left = dict(OutboxEmail.objects.values_list("dedupe_key", "status"))
    assert left == {f"old-pending:{agent.pk}": OutboxStatus.PENDING, f"recent-sent:{agent.pk}": OutboxStatus.SENT}


def test_the_journal_is_purged_after_its_delay_through_the_one_deliberate_path(referential):
    case = declare()
    now = timezone.now()
    with clock(now - timedelta(days=366)):
        old = audit(case=case, action="lecture", fields=["nom"], purpose="ancienne lecture")
    with clock(now - timedelta(days=300)):
        kept = audit(case=case, action="lecture", fields=["nom"], purpose="lecture récente")
    with pytest.raises(ValueError), transaction.atomic():
        access_log_purge(older_than_days=30)  # below the floor: refused, nothing deleted
    assert AccessLog.objects.filter(pk=old.pk).exists()

    assert "1 ligne(s) du journal des accès supprimée(s)" in run("purger")
    assert not AccessLog.objects.filter(pk=old.pk).exists() and AccessLog.objects.filter(pk=kept.pk).exists()
    # The trigger is back: the journal stays append-only for everything else.
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=kept.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=kept.pk).update(purpose="effacé")
    assert access_log_purge(older_than_days=365) == 0


# --- Due dates --------------------------------------------------------------------------------------------


def test_echeances_notifies_the_agents_of_the_body_once_per_task_and_due_date(referential):
    case = declare()
    task = case.tasks.select_related("body").order_by("due_date", "pk").first()
    agent = referential.agent(task.body.key, "agent")
    other = referential.agent("caf:44" if task.body.key != "caf:44" else "caf:34", "agent")
    same_day = case.tasks.filter(body=task.body, due_date=task.due_date).count()
    day = (task.due_date - timedelta(days=4)).isoformat()

    assert "0 nouvelle(s) notification(s)" in run("echeances", "--jours", "3", "--date", day)  # 4 days: too early
    day = (task.due_date - timedelta(days=3)).isoformat()
    out = run("echeances", "--jours", "3", "--date", day)
    assert "0 nouvelle(s)" not in out and "Lefébure" not in out
    mine = Notification.objects.filter(recipient=agent, kind=NotificationKind.DUE_SOON)
    assert mine.count() == same_day
    notice = mine.get(dedupe_key__startswith=f"due_soon:{task.pk}:")
    assert notice.case_ref == str(case.public_id) and notice.url == f"/dossiers/{case.public_id}/"
    assert f"{task.due_date:%d/%m/%Y}" in notice.title and case.reference in notice.text
    assert not any(v in notice.title + notice.text for v in VALUES.values())
    assert not Notification.objects.filter(recipient=other, dedupe_key__contains=f":{task.pk}:").exists()

    assert "0 nouvelle(s) notification(s)" in run("echeances", "--jours", "3", "--date", day)  # again: nothing
    assert mine.count() == same_day

    Task.objects.filter(pk=task.pk).update(due_date=task.due_date + timedelta(days=1))  # a new due date
    day = (task.due_date - timedelta(days=2)).isoformat()
    run("echeances", "--jours", "3", "--date", day)
    assert mine.filter(dedupe_key__startswith=f"due_soon:{task.pk}:").count() == 2

    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE, due_date=task.due_date + timedelta(days=2))
    run("echeances", "--jours", "3", "--date", (task.due_date - timedelta(days=1)).isoformat())  # done: not again
    assert mine.filter(dedupe_key__startswith=f"due_soon:{task.pk}:").count() == 2


def test_echeances_refuses_a_bad_date(referential):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("echeances", "--date", "demain")


# --- Periodic jobs ------------------------------------------------------------------------------------------


def test_the_worker_schedules_the_purge_and_the_reminders_daily_and_the_handover_timers_hourly():
    assert settings.SANSCOUTURE_PERIODIC_JOBS == {
        "sanscouture.cases.jobs.purge": 86400,
        "sanscouture.cases.jobs.due_soon": 86400,
        "sanscouture.impacts.jobs.remind": 86400,  # reminders and « sans réponse » of notices (issue 11)
        "sanscouture.cases.jobs.handovers": 3600,
        "sanscouture.network.jobs.ledger_sync": 3600,  # the cooperation network's ledger (issue 12)
        "sanscouture.webhooks.jobs.deliver": 60,  # webhook retries and lost wake-ups (issue 15)
        "sanscouture.webhooks.jobs.purge": 86400,
        "sanscouture.gatherings.jobs.remind": 3600,  # gatherings' reminders, two days before (issue 13)
    }


@pytest.mark.django_db
def test_periodic_jobs_are_enqueued_once_per_interval_across_restarts():
    jobs = {"sanscouture.cases.jobs.purge": 86400, "sanscouture.cases.jobs.due_soon": 3600}
    now = timezone.now()
    assert periodic_schedule(now=now, jobs=jobs) == list(jobs)
    # Another worker, or the same after a restart, reads the same queue table: nothing is due yet.
    assert periodic_schedule(now=now + timedelta(minutes=30), jobs=jobs) == []
    assert periodic_schedule(now=now + timedelta(hours=1, seconds=1), jobs=jobs) == ["sanscouture.cases.jobs.due_soon"]
    assert sorted(periodic_schedule(now=now + timedelta(days=1, seconds=1), jobs=jobs)) == sorted(jobs)
    queued = DBTaskResult.objects.filter(task_path=run_periodic_job.module_path)
    assert queued.count() == 5 and {r.args_kwargs["args"][0] for r in queued} == set(jobs)


def test_a_periodic_job_runs_by_name_and_only_if_registered(referential):
    case = declare()
    close(case, days_ago=400)
    assert run_periodic_job.call("sanscouture.cases.jobs.purge") == {
        "dossiers": 1,
        "journal": 0,
        "notifications": 0,
        "courriels": 0,
        "cles_idempotence": 0,
    }
    assert run_periodic_job.call("sanscouture.cases.jobs.due_soon") == {"taches": 0, "notifications": 0}
    with pytest.raises(UnknownJob):
        run_periodic_job.call("os.system")


def test_stored_idempotent_replies_are_forgotten_after_a_day(referential):
    from datetime import timedelta

    from django.utils import timezone

    from sanscouture.cases.models import IdempotencyKey
    from sanscouture.cases.services import idempotency_keys_purge

    IdempotencyKey.objects.create(
        caller="anonyme:127.0.0.1",
        key="cle-de-test-1",
        operation="dossier",
        fingerprint="x" * 64,
        status_code=201,
        response={"jeton_suivi": "secret"},
    )
    assert idempotency_keys_purge() == 0
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyKey.objects.exists()
