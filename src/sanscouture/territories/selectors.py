"""Reads of the territorial referential: resolve a code, search by name or postcode."""

import re
from dataclasses import dataclass

from django.db.models import Q

from .errors import AmbiguousCommune, CommuneNotFound, MalformedCode
from .models import Commune, CommuneKind
from .text import normalize

INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
POSTCODE = re.compile(r"^\d{5}$")

VIA_LABELS = {
    "current": "",
    CommuneKind.ARRONDISSEMENT: "code d'un arrondissement municipal",
    CommuneKind.DELEGATED: "code d'une commune déléguée",
    CommuneKind.ASSOCIATED: "code d'une commune associée",
    "former": "ancien code de commune",
}


@dataclass(frozen=True)
class Resolution:
    """A requested code and the current commune it designates (`via` says how)."""

    commune: Commune
    requested_code: str
    via: str  # "current", a CommuneKind value, or "former"
    matched: Commune | None = None  # the delegated/associated/arrondissement record, when there is one

    @property
    def message(self) -> str:
        if self.via == "current":
            return ""
        what = VIA_LABELS[self.via]
        name = f" ({self.matched.name})" if self.matched else ""
        current = f"{self.commune.name} ({self.commune.insee_code})"
        return f"Le code {self.requested_code}{name} est un {what} : la commune actuelle est {current}."


def _check_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not INSEE_CODE.match(code):
        raise MalformedCode(
            f"« {code} » n'est pas un code INSEE de commune : 5 caractères, chiffres (2A/2B pour la Corse).",
            details={"code": code},
        )
    return code


def commune_resolve(code: str) -> Resolution:
    """The current commune designated by an INSEE code, be it current, delegated, associated, an
    arrondissement municipal or a former code."""
    code = _check_code(code)
    related = ("departement", "region", "epci", "ept")
    rows = {
        c.kind: c
        for c in Commune.objects.filter(insee_code=code).select_related(*related, *(f"parent__{r}" for r in related))
    }
    if CommuneKind.CURRENT in rows:
        return Resolution(commune=rows[CommuneKind.CURRENT], requested_code=code, via="current")
    for kind in (CommuneKind.ARRONDISSEMENT, CommuneKind.DELEGATED, CommuneKind.ASSOCIATED):
        if kind in rows:
            return Resolution(commune=rows[kind].parent, requested_code=code, via=kind, matched=rows[kind])
    heirs = list(Commune.objects.filter(former_codes__code=code).select_related(*related).distinct())
    if len(heirs) == 1:
        return Resolution(commune=heirs[0], requested_code=code, via="former")
    if len(heirs) > 1:
        raise AmbiguousCommune(
            f"L'ancien code {code} a été réparti entre plusieurs communes : "
            + ", ".join(f"{c.name} ({c.insee_code})" for c in heirs)
            + ". Précisez le code actuel.",
            details={"candidats": [c.insee_code for c in heirs]},
        )
    raise CommuneNotFound(f"Aucune commune ne porte le code INSEE {code}.", details={"code": code})


def commune_search(query: str, *, limit: int = 10) -> list[Commune]:
    """Current communes matching a name (accent/case-insensitive, prefix first) or a postcode."""
    query = (query or "").strip()
    if not query:
        return []
    base = Commune.objects.current().select_related("departement")
    if POSTCODE.match(query):
        return list(base.filter(Q(postcode_set__code=query) | Q(insee_code=query)).distinct().order_by("name")[:limit])
    if INSEE_CODE.match(query.upper()):
        return list(base.filter(insee_code=query.upper()))
    norm = normalize(query)
    if not norm:
        return []
    prefix = list(base.filter(search_name__startswith=norm).order_by("-population", "name")[:limit])
    if len(prefix) < limit:
        seen = {c.pk for c in prefix}
        prefix += [
            c
            for c in base.filter(search_name__contains=norm).order_by("-population", "name")[: limit * 2]
            if c.pk not in seen
        ][: limit - len(prefix)]
    return prefix


_WITH_DEPARTEMENT = re.compile(r"^(?P<name>.+?)\s*\((?P<dep>\d{2,3}|2[AB])\)\s*$", re.IGNORECASE)


def commune_find(text: str) -> Resolution:
    """What a person typed (code, postcode, 'Name', 'Name (34)') → one current commune, or a clear error."""
    text = (text or "").strip()
    if not text:
        raise MalformedCode("Indiquez une commune : son nom, son code postal ou son code INSEE.")
    if INSEE_CODE.match(text.upper()) and not POSTCODE.match(text):
        return commune_resolve(text)
    if POSTCODE.match(text):
        found = commune_search(text, limit=50)
        by_code = [c for c in found if c.insee_code == text]
        if by_code:
            return Resolution(commune=by_code[0], requested_code=text, via="current")
        if len(found) == 1:
            return Resolution(commune=found[0], requested_code=found[0].insee_code, via="current")
        if not found:
            # A 5-digit text may also be a former or delegated INSEE code.
            return commune_resolve(text)
        raise AmbiguousCommune(
            f"Le code postal {text} couvre plusieurs communes : "
            + ", ".join(f"{c.name} ({c.insee_code})" for c in found[:10])
            + ". Choisissez-en une.",
            details={"candidats": [c.insee_code for c in found]},
        )
    m = _WITH_DEPARTEMENT.match(text)
    name, dep = (m["name"], m["dep"].upper()) if m else (text, None)
    qs = Commune.objects.current().filter(search_name=normalize(name)).select_related("departement")
    if dep:
        qs = qs.filter(departement_id=dep)
    found = list(qs)
    if len(found) == 1:
        return Resolution(commune=found[0], requested_code=found[0].insee_code, via="current")
    if not found:
        raise CommuneNotFound(f"Aucune commune ne s'appelle « {text} ».", details={"recherche": text})
    raise AmbiguousCommune(
        f"Plusieurs communes s'appellent « {name} » : "
        + ", ".join(f"{c.name} ({c.departement_id})" for c in found)
        + ". Précisez le département, par exemple "
        f"« {found[0].name} ({found[0].departement_id}) ».",
        details={"candidats": [c.insee_code for c in found]},
    )
