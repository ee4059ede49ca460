from django.http import HttpRequest

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
    """What django-dsfr's base template reads, without a database query per page."""
    return {"SITE_CONFIG": SITE}
