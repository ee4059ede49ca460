"""Who may do what on a shared case, decided once here (opinions; other rules still live in `services.py`)."""

from django.contrib.auth.models import AbstractBaseUser

from sanscouture.accounts.models import Membership

from .models import OPEN_TASK_STATUSES, CaseStatus, OpinionRequest, Task


def _member_of(user: AbstractBaseUser, body_id: int) -> bool:
    return (
        bool(user.is_authenticated)
        and Membership.objects.filter(user=user, body_id=body_id, body__active=True).exists()
    )


def can_ask_opinion(user: AbstractBaseUser, task: Task) -> bool:
    """An agent of the body working the task (open, in an open case) may ask another body's opinion on it."""
    return task.status in OPEN_TASK_STATUSES and task.case.status == CaseStatus.OPEN and _member_of(user, task.body_id)


def can_answer_opinion(user: AbstractBaseUser, opinion: OpinionRequest) -> bool:
    """Only an agent of the asked body answers."""
    return _member_of(user, opinion.to_body_id)
