"""Open data, public and read-only: the national dataset, its Table Schema, the data·inclusion exports, the DCAT
catalogue (ADR 020)."""

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .data_inclusion import DATASETS, RETRY_AFTER, data_inclusion_available
from .selectors import PAGE_SIZE, dcat_catalogue, dcat_pages
from .services import qui_fait_quoi_edition, qui_fait_quoi_schema

MAX_PAGE_SIZE = 100
PARQUET = "application/vnd.apache.parquet"
CACHE = "public, max-age=3600"


def _file(path, content_type: str, filename: str) -> FileResponse:  # noqa: ANN001
    response = FileResponse(path.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = CACHE
    return response


@require_safe
def qui_fait_quoi_csv(request: HttpRequest) -> FileResponse:
    edition = qui_fait_quoi_edition()
    return _file(edition.csv, "text/csv; charset=utf-8", f"qui-fait-quoi-{edition.on}.csv")


@require_safe
def qui_fait_quoi_parquet(request: HttpRequest) -> FileResponse:
    edition = qui_fait_quoi_edition()
    return _file(edition.parquet, PARQUET, f"qui-fait-quoi-{edition.on}.parquet")


@require_safe
def data_inclusion_json(request: HttpRequest, dataset: str) -> HttpResponse:
    """A whole data·inclusion dataset (structures or services) as one JSON array, as the API pages it."""
    export = data_inclusion_available()
    if export is None:
        response = _error(503, "export_en_preparation", "L'export data·inclusion est en cours de préparation.")
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return _file(export.path(dataset), "application/json", f"data-inclusion-{dataset}-{export.on}.json")


@require_safe
def qui_fait_quoi_schema_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(qui_fait_quoi_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = CACHE
    return response


@require_safe
def catalogue(request: HttpRequest) -> JsonResponse:
    """The DCAT catalogue (JSON-LD), paginated the Hydra way: ?page=N&page_size=M (at most 100)."""
    try:
        page = int(request.GET.get("page", "1"))
        page_size = int(request.GET.get("page_size", str(PAGE_SIZE)))
    except ValueError:
        page = page_size = 0
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        return _error(400, "page_invalide", f"page (≥ 1) et page_size (de 1 à {MAX_PAGE_SIZE}) sont des entiers.")
    if page > dcat_pages(page_size=page_size):
        return _error(404, "page_introuvable", "Cette page du catalogue n'existe pas.")
    document = dcat_catalogue(absolute=request.build_absolute_uri, page=page, page_size=page_size)
    response = JsonResponse(document, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = CACHE
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"erreur": {"code": code, "message": message}}, status=status)


@require_safe
def donnees_ouvertes(request: HttpRequest) -> HttpResponse:
    """The open data page for people: what is published, how big, how fresh."""
    edition = qui_fait_quoi_edition()
    inclusion = data_inclusion_available()  # None while the first edition is written
    context = {
        "title": "Données ouvertes",
        "edition": edition,
        "communes": _number(edition.communes),
        "rows": _number(edition.rows),
        "csv_size": edition.csv.stat().st_size,
        "parquet_size": edition.parquet.stat().st_size,
        "fields": qui_fait_quoi_schema()["fields"],
        "inclusion": inclusion,
        "inclusion_sizes": {d: inclusion.size(d) for d in DATASETS} if inclusion else {},
        "inclusion_counts": {d: _number(inclusion.counts[d]) for d in DATASETS} if inclusion else {},
        "inclusion_criteria": list(inclusion.criteria.items()) if inclusion else [],
    }
    return render(request, "opendata/donnees_ouvertes.html", context)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # French thousands separator (narrow no-break space)
