"""'Qui fait quoi ?': a commune, every competence with its body and the reason."""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sanscouture.bodies.models import BodyKind
from sanscouture.errors import DomainError
from sanscouture.safetext import query_param
from sanscouture.territories.errors import AmbiguousCommune, CommuneNotFound
from sanscouture.territories.selectors import commune_candidates, commune_find, commune_resolve

from .catalogue import catalogue
from .routing import Routing, disagreement, place_at, route_all, routing_code

# Why a body is competent, as a DSFR badge: label and colour modifier.
REASON_BADGES = {
    "loi": ("Loi", ""),
    "declaration": ("Déclaration", "fr-badge--info"),
    "banatic": ("BANATIC", "fr-badge--info"),
    "statut_particulier": ("Statut particulier", "fr-badge--new"),
    "facultative": ("Compétence choisie par la collectivité", ""),
    "annuaire": ("Annuaire", "fr-badge--blue-ecume"),
    "guichet": ("Guichet", "fr-badge--blue-ecume"),
    "non_modelise": ("Non modélisé", "fr-badge--warning"),
    "inconnu": ("Inconnu", "fr-badge--warning"),
}
KIND_LABELS = dict(BodyKind.choices)


@dataclass(frozen=True)
class Row:
    """One line of the competences table, ready to render."""

    answer: Routing
    bodies: list[tuple[str, str]]  # (name, kind label)
    badge: tuple[str, str]
    disagreement: str = ""  # what the sources of lower precedence say, when they differ


@require_GET
def qui(request: HttpRequest) -> HttpResponse:
    """'Qui fait quoi ?': type a commune, see every competence with its body and the reason. `code` (from a
    suggestion or a "Vouliez-vous dire" link) is an INSEE code, taken as such; `commune` is what was typed."""
    code_param = query_param(request, "code", 5)
    text = query_param(request, "commune", 120)
    on_text = query_param(request, "date", 20)
    context: dict[str, object] = {"query": text, "date_text": on_text, "title": "Qui fait quoi ?"}
    try:
        on = date.fromisoformat(on_text) if on_text else None
    except ValueError:
        context.update(
            error_title="Date invalide",
            error_field="date",
            error=f"La date « {on_text} » n'est pas une date valide : utilisez le format AAAA-MM-JJ.",
        )
        return render(request, "competences/qui.html", context, status=400)
    if not (code_param or text):
        if "commune" in request.GET:  # an empty search says so instead of reloading silently
            context.update(
                error_title="Commune manquante",
                error_field="commune",
                error="Indiquez une commune : son nom, son code postal ou son code INSEE.",
            )
            return render(request, "competences/qui.html", context, status=400)
        return render(request, "competences/qui.html", context)
    try:
        res = commune_resolve(code_param) if code_param else commune_find(text)
        code = routing_code(res.requested_code, res.commune.insee_code, on)
        answers = route_all(commune=code, on=on)
    except (AmbiguousCommune, CommuneNotFound) as exc:
        ambiguous = isinstance(exc, AmbiguousCommune)
        context.update(
            error_title="Plusieurs communes correspondent" if ambiguous else "Commune non trouvée",
            error=exc.message,
            error_field="commune",
            candidates=commune_candidates(exc.details.get("candidats", [])),
            did_you_mean=not ambiguous,
        )
        return render(request, "competences/qui.html", context, status=400 if ambiguous else 404)
    except DomainError as exc:
        context.update(
            error_title="Demande invalide",
            error=exc.message,
            error_field="date" if exc.code == "date_hors_validite" else "commune",
        )
        return render(request, "competences/qui.html", context, status=exc.status if exc.status < 500 else 400)
    comps = catalogue().competences
    themes: dict[str, list[Row]] = {}
    for answer in answers:
        row = Row(
            answer=answer,
            bodies=[(b.name, KIND_LABELS.get(b.kind, "")) for b in answer.bodies],
            badge=REASON_BADGES.get(answer.reason.kind, (answer.reason.kind, "")),
            disagreement=disagreement(answer),
        )
        themes.setdefault(comps[answer.subject].theme or "Autres compétences", []).append(row)
    commune = res.commune
    name = res.matched.name if res.matched is not None and res.via == "arrondissement" else commune.name
    context.update(
        resolution=res,
        commune=commune,
        routed=place_at(code, on),
        themes=themes,
        on=on or date.today(),
        query=text or f"{name} ({commune.departement_id})",
        title=f"Qui fait quoi à {name} ?",
    )
    return render(request, "competences/qui.html", context)
