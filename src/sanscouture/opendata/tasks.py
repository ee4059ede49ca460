"""Background tasks (django-tasks, database backend): run by `sanscouture notifications travailler`."""

from datetime import date

from django_tasks import task

from .data_inclusion import data_inclusion_edition


@task()
def data_inclusion_write_task(on: str) -> int:
    """Write the data·inclusion edition of `on` (ISO date) asked by a request on a national referential; returns
    the number of services written (0 when it was written or being written elsewhere)."""
    export = data_inclusion_edition(on=date.fromisoformat(on), wait=False)
    return export.counts["services"] if export else 0
