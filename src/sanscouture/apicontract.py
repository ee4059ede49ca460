"""The API's contract, applied to every operation of the one NinjaAPI whatever router it comes from (docs/adr/012).

- JSON bodies only with `Content-Type: application/json` (415 otherwise): no cross-site HTML form can post to the
  API.
- A scalar query parameter given twice is refused (400 `parametre_repete`), never silently picked.
- Integers beyond 64 bits, in the path, the query or the body: 404 for a path id (no object has it), 400
  `entier_hors_limites` elsewhere — on SQLite as on PostgreSQL, before any query.
- The OpenAPI declares, for every operation, the statuses the edge and the contract can answer (400, 401, 403,
  404, 413, 415, 422, 429) with the error envelope's schema, and `security: [{}]` where anonymous callers are
  admitted. Statuses only an operation's own logic answers (e.g. 409) are declared by the operation:
  `response={201: Out, **errors(409)}`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from pydantic import BaseModel

from sanscouture.accounts.api_auth import AgentSession, Anonymous
from sanscouture.errors import DomainError, IntegerOutOfRange, RepeatedParameter, UnsupportedMediaType

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNSAFE_METHODS = ("post", "put", "patch", "delete")
ERROR_SCHEMA = "ErrorOut"


class ErrorDetailOut(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    """The error envelope: {"erreur": {"code", "message", "details"?}}."""

    erreur: ErrorDetailOut


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Declare statuses an operation's own logic can answer: `response={201: Out, **errors(409)}`."""
    return dict.fromkeys(statuses, ErrorOut)


# Statuses the contract adds to every operation where they can happen, with their description.
GENERIC = {
    400: "Requête invalide : caractère interdit, entier hors limites, paramètre répété, corps illisible.",
    401: "Authentification requise.",
    403: "Refusé : droits insuffisants, ou jeton CSRF absent avec une session.",
    404: "Introuvable (ou hors de votre périmètre).",
    413: "Corps de requête trop volumineux.",
    415: "Le corps doit être envoyé en JSON (Content-Type: application/json).",
    422: "Valeurs invalides (détail par champ).",
    429: "Trop d'écritures anonymes : réessayez après le délai de l'en-tête Retry-After.",
}


def _has_json_body(operation: Any) -> bool:
    return any(getattr(m, "__ninja_param_source__", None) == "body" for m in operation.models)


def _check_content_type(operation: Any, request: HttpRequest) -> None:
    if not _has_json_body(operation):
        return
    sent = request.META.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in request.META
    if not sent and not request.META.get("CONTENT_TYPE"):
        return  # nothing sent: validation says what is missing (422); the body itself is not read here
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "Le corps de la requête doit être du JSON, envoyé avec l'en-tête « Content-Type: application/json ».",
            details={"content_type": (request.content_type or "")[:100]},
        )


def _check_repeated(api: "ContractAPI", operation: Any, request: HttpRequest) -> None:
    scalars = api.scalar_query_parameters(operation)
    for name, values in request.GET.lists():
        if len(values) > 1 and name in scalars:
            raise RepeatedParameter(
                f"Le paramètre « {name[:50]} » est donné plusieurs fois : il n'en faut qu'un.",
                details={"parametre": name},
            )


def _edge_checks(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before authentication and validation: the Content-Type of JSON bodies, repeated scalar parameters."""
    operation = run.__self__  # type: ignore[attr-defined]  # the first decorator gets the bound Operation.run

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _check_content_type(operation, request)
            _check_repeated(operation.api, operation, request)
        except DomainError as exc:
            return operation.api.on_exception(request, exc)
        return run(request, *args, **kwargs)

    return checked


def _beyond_int64(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT64_MIN <= value <= INT64_MAX
    if isinstance(value, BaseModel):
        return any(_beyond_int64(getattr(value, name)) for name in type(value).model_fields)
    if isinstance(value, dict):
        return any(_beyond_int64(k) or _beyond_int64(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_beyond_int64(v) for v in value)
    return False


def _bounded_integers(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """After validation: no integer beyond 64 bits reaches a view (nor the database)."""

    @wraps(view_func)
    def bounded(request: HttpRequest, *args: Any, **values: Any) -> Any:
        path_names = set(request.resolver_match.kwargs) if request.resolver_match else set()
        for name, value in values.items():
            if _beyond_int64(value):
                if name in path_names:
                    raise Http404
                raise IntegerOutOfRange(
                    f"Un nombre entier de « {name} » dépasse les limites acceptées ({INT64_MIN} à {INT64_MAX}).",
                    details={"parametre": name},
                )
        return view_func(request, *args, **values)

    return bounded


def _int64(node: Any) -> None:
    """Every integer of the schema says its bounds (format int64), so clients and fuzzers know them."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("format", "int64")
            node.setdefault("minimum", INT64_MIN)
            node.setdefault("maximum", INT64_MAX)
        for value in node.values():
            _int64(value)
    elif isinstance(node, list):
        for value in node:
            _int64(value)


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose every operation follows the contract above (routers need nothing special)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_decorator(_edge_checks, mode="view")
        self.add_decorator(_bounded_integers, mode="operation")
        self._scalar_queries: dict[str, frozenset[str]] | None = None

    def operations(self) -> dict[str, Any]:
        """operationId → Operation, for every operation of every router."""
        found = {}
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    found[self.get_openapi_operation_id(operation)] = operation
        return found

    def scalar_query_parameters(self, operation: Any) -> frozenset[str]:
        """The query parameters of an operation that take one value (not an array), read from the OpenAPI."""
        if self._scalar_queries is None:
            table: dict[str, frozenset[str]] = {}
            for methods in self.get_openapi_schema()["paths"].values():
                for op in methods.values():
                    table[op["operationId"]] = frozenset(
                        p["name"]
                        for p in op.get("parameters", [])
                        if p.get("in") == "query" and not _is_array(p.get("schema", {}))
                    )
            self._scalar_queries = table
        return self._scalar_queries.get(self.get_openapi_operation_id(operation), frozenset())

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        operations = self.operations()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in (
            ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}).items()
        ):
            components.setdefault(name, definition)
        components.setdefault(ERROR_SCHEMA, ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        for methods in schema["paths"].values():
            for method, op in methods.items():
                operation = operations.get(op["operationId"])
                if operation is not None:
                    _document(op, method, operation)
        _int64(schema)
        return schema


def _is_array(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return True
    return any(_is_array(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def _document(op: dict[str, Any], method: str, operation: Any) -> None:
    """Add the statuses the edge and the contract can answer for this operation, and anonymous access."""
    responses = op.setdefault("responses", {})
    callbacks = list(operation.auth_callbacks or [])
    anonymous = any(isinstance(cb, Anonymous) for cb in callbacks)
    session = any(isinstance(cb, AgentSession) for cb in callbacks)
    parameters = op.get("parameters", [])
    statuses = {400}
    if parameters or "requestBody" in op:
        # Validation (422), and an object it names — by path, query or body — may not exist (404).
        statuses |= {404, 422}
    if _has_json_body(operation) or "requestBody" in op:
        statuses |= {413, 415}
    if method in UNSAFE_METHODS:
        statuses |= {413, 429}
    if callbacks and not anonymous:
        statuses |= {401, 403}
    if session and method in UNSAFE_METHODS:
        statuses.add(403)
    for status in sorted(statuses):
        if status in responses or str(status) in responses:
            continue
        responses[status] = {
            "description": GENERIC[status],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
        }
    if anonymous:
        security = op.setdefault("security", [])
        if {} not in security:
            security.append({})
