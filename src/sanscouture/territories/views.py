"""The live commune suggestions: the same lookup as the pages and the API (selectors.commune_lookup)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sanscouture.safetext import query_param

from .selectors import commune_lookup


@require_GET
def commune_suggestions(request: HttpRequest) -> HttpResponse:
    """Autocomplete (htmx): communes for what is typed, best first; not exact → "Vouliez-vous dire"."""
    q = query_param(request, "commune", 100) or query_param(request, "commune_depart", 100)  # a move's two fields
    found = commune_lookup(q, limit=8) if len(q) >= 2 else None
    return render(request, "territories/_suggestions.html", {"found": found, "q": q})
