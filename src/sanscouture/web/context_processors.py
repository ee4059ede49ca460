from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sanscouture.accounts.selectors import bodies_administered_by, memberships_of

SITE = {
    "site_title": "Sans Couture",
    "site_tagline": "Services publics locaux sans couture",
    "footer_brand": "République<br>Française",
    "footer_description": "Sans Couture est un logiciel libre qui aide les acteurs publics locaux à coopérer "
    "autour des moments de vie des personnes, sur les données publiques officielles.",
    "accessibility_status": "Non conforme (audit à venir)",
    "mourning": False,
}


def site(request: HttpRequest) -> dict[str, object]:
    """What django-dsfr's base template reads, without a database query per page; for agents, the bodies
    they administer (queried only when a page shows the menu)."""
    user = getattr(request, "user", None)
    return {
        "SITE_CONFIG": SITE,
        "administered_bodies": SimpleLazyObject(lambda: bodies_administered_by(user)) if user else [],
        "my_memberships": SimpleLazyObject(lambda: memberships_of(user)) if user else [],
    }
