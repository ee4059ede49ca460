"""Template tags other apps' templates load where impacts shows through them (journeys and cases cannot import
impacts, a higher layer): the notices on a public journey page and in a shared case."""

from datetime import date

from django import template
from django.utils import timezone

from sanscouture.impacts.selectors import actions_during, actions_for_case

register = template.Library()


@register.inclusion_tag("impacts/_avis_parcours.html")
def avis_en_cours(commune, on: date, life_event: str = ""):  # noqa: ANN001, ANN201
    """Published actions in force in the journey's commune on its date."""
    if commune is None or on is None:
        return {"actions": []}
    return {"actions": actions_during(commune_id=commune.pk, on=on, life_event=life_event or None), "commune": commune}


@register.inclusion_tag("impacts/_avis_dossier.html")
def avis_du_dossier(case):  # noqa: ANN001, ANN201
    """Published actions that touch the case (its commune, its bodies), for the agents working it."""
    return {"actions": actions_for_case(case=case, today=timezone.localdate()) if case is not None else []}
