"""Who may file an Open311 request where (TRUST.md: a body acts only on its own territory)."""

from sanscouture.bodies.models import Body
from sanscouture.competences.routing import communes_served


def may_file_in(body: Body, commune_code: str) -> bool:
    """A body's system files requests only for the communes the body serves (a mairie for its commune, an EPCI for
    its members, a CAF for its département…)."""
    return commune_code in communes_served(body.key)
