"""Open data files, public and read-only: the national dataset and its Table Schema (ADR 020)."""

from django.http import FileResponse, HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from .services import qui_fait_quoi_edition, qui_fait_quoi_schema

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
def qui_fait_quoi_schema_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(qui_fait_quoi_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = CACHE
    return response
