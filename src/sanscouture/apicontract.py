"""The API's contract, applied to every operation of the one NinjaAPI whatever router it comes from (docs/adr/012).

- JSON bodies only with `Content-Type: application/json` (415 otherwise): no cross-site HTML form can post to the
  API.
- A scalar query parameter given twice is refused (400 `parametre_repete`), never silently picked.
- Integers beyond 64 bits, in the path, the query or the body: 404 for a path id (no object has it), 400
  `entier_hors_limites` elsewhere — on SQLite as on PostgreSQL, before any query. A query integer outside the
  bounds its schema declares (`limite=-1`) is the same 400.
- Validation errors (422 `requete_invalide`) name each field as the caller sends it (`commune`, not
  `body.payload.commune`) and say in French what is expected, from pydantic's stable error `type`.
- The OpenAPI declares, for every operation, the statuses the edge and the contract can answer (400, 401, 403,
  404, 413, 415, 422, 429) with the error envelope's schema, and `security: [{}]` where anonymous callers are
  admitted. Statuses only an operation's own logic answers (e.g. 409) are declared by the operation:
  `response={201: Out, **errors(409)}`.
"""

import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
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


def _beyond_int64(value: Any) -> tuple[str | int, ...] | None:
    """Where (a field path) an integer beyond 64 bits is in the value, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else ()
    if isinstance(value, BaseModel):
        items: Any = [(name, getattr(value, name)) for name in type(value).model_fields]
    elif isinstance(value, dict):
        if any(_beyond_int64(k) is not None for k in value):
            return ()
        items = value.items()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _beyond_int64(item)
        if found is not None:
            return (key, *found)
    return None


def _bounded_integers(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """After validation: no integer beyond 64 bits reaches a view (nor the database)."""

    @wraps(view_func)
    def bounded(request: HttpRequest, *args: Any, **values: Any) -> Any:
        path_names = set(request.resolver_match.kwargs) if request.resolver_match else set()
        for name, value in values.items():
            where = _beyond_int64(value)
            if where is None:
                continue
            if name in path_names:
                raise Http404
            # A query or body schema is the view's own wrapper: the caller knows its fields, not its name.
            field = field_name(where if isinstance(value, BaseModel) and where else (name, *where))
            raise IntegerOutOfRange(
                f"Un nombre entier de « {field} » dépasse les limites acceptées ({INT64_MIN} à {INT64_MAX}).",
                details={"parametre": field},
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


def field_name(path: Iterable[Any]) -> str:
    """A field as the caller writes it: `commune`, `choix.3`."""
    return ".".join(str(part) for part in path)


_DATE = "Une date valide est attendue, au format AAAA-MM-JJ (par exemple 2026-01-31)."
_DATETIME = "Une date et heure valides sont attendues, au format ISO 8601 (par exemple 2026-01-31T14:30:00)."
_INTEGER = "Un nombre entier est attendu."
_NUMBER = "Un nombre est attendu."
_BOOLEAN = "Une valeur booléenne est attendue : true ou false."
_OBJECT = "Un objet JSON est attendu."
_LIST = "Une liste est attendue."
_URL = "Une adresse web valide est attendue (https://…)."

# pydantic's error `type` (stable, unlike its English `msg`) → the French message; {…} are the error's context.
FRENCH = {
    "missing": "Ce champ est obligatoire.",
    "extra_forbidden": "Ce champ n'est pas accepté ici.",
    "string_type": "Une chaîne de caractères est attendue.",
    "string_sub_type": "Une chaîne de caractères est attendue.",
    "string_unicode": "Une chaîne de caractères (UTF-8) est attendue.",
    "string_too_short": "Au moins {min_length} caractère(s) attendu(s).",
    "string_too_long": "Au plus {max_length} caractères sont acceptés.",
    "string_pattern_mismatch": "Le format n'est pas celui attendu.",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_parsing_size": _INTEGER,
    "int_from_float": "Un nombre entier est attendu, sans partie décimale.",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": "Un nombre fini est attendu.",
    "greater_than": "La valeur doit être strictement supérieure à {gt}.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than": "La valeur doit être strictement inférieure à {lt}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "multiple_of": "La valeur doit être un multiple de {multiple_of}.",
    "bool_type": _BOOLEAN,
    "bool_parsing": _BOOLEAN,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_past": "La date doit être passée.",
    "date_future": "La date doit être à venir.",
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "time_type": "Une heure valide est attendue, au format HH:MM (par exemple 14:30).",
    "time_parsing": "Une heure valide est attendue, au format HH:MM (par exemple 14:30).",
    "timezone_naive": "Une date et heure sans fuseau horaire est attendue.",
    "timezone_aware": "Une date et heure avec fuseau horaire est attendue (par exemple +01:00).",
    "uuid_type": "Un identifiant UUID valide est attendu.",
    "uuid_parsing": "Un identifiant UUID valide est attendu.",
    "uuid_version": "Un identifiant UUID valide est attendu.",
    "literal_error": "Valeur non reconnue. Valeurs acceptées : {expected}.",
    "enum": "Valeur non reconnue. Valeurs acceptées : {expected}.",
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "iterable_type": _LIST,
    "too_short": "Au moins {min_length} élément(s) attendu(s).",
    "too_long": "Au plus {max_length} éléments sont acceptés.",
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "json_invalid": "Le JSON n'est pas valide.",
    "json_type": "Du JSON est attendu.",
    "url_type": _URL,
    "url_parsing": _URL,
    "url_syntax_violation": _URL,
    "url_too_long": _URL,
    "url_scheme": _URL,
    "value_error": "Valeur invalide.",
    "assertion_error": "Valeur invalide.",
    "union_tag_invalid": "Valeur non reconnue.",
    "union_tag_not_found": "Un champ qui dit le type de l'objet est attendu.",
    "bytes_type": "Une chaîne de caractères est attendue.",
    "bytes_too_long": "Au plus {max_length} octets sont acceptés.",
    "bytes_too_short": "Au moins {min_length} octet(s) attendu(s).",
}
FALLBACK = "Valeur invalide."
_REPR = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s,']+)""")


def allowed_values(expected: str) -> list[str]:
    """The values pydantic lists in `ctx.expected` ("'todo', 'done' or 'not_applicable'")."""
    found = [q1 or q2 or bare for q1, q2, bare in _REPR.findall(expected)]
    return [v for v in found if v != "or"]


def french_detail(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error (its `loc` starts with the source) → {champ, code, message[, valeurs]} in French."""
    source, *path = error.get("loc", ()) or ("",)
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    values = allowed_values(str(ctx["expected"])) if kind in ("literal_error", "enum") and "expected" in ctx else None
    if values is not None:
        ctx["expected"] = ", ".join(f"« {v} »" for v in values)
    try:
        message = FRENCH[kind].format(**ctx)
    except (KeyError, IndexError, ValueError):
        message = FALLBACK
    detail = {
        "champ": field_name(path) or ("corps" if source == "body" else str(source)),
        "code": kind or "invalide",
        "message": message,
    }
    return detail if values is None else {**detail, "valeurs": values}


QUERY_BOUNDS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def query_bound(errors: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first error when every one is a query integer outside its declared bounds (a 400 like 64 bits), or None."""
    if errors and all(
        e.get("loc", ("",))[0] == "query"
        and e.get("type") in QUERY_BOUNDS
        and all(isinstance(v, int) for v in (e.get("ctx") or {}).values())
        for e in errors
    ):
        return errors[0]
    return None


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose every operation follows the contract above (routers need nothing special)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_decorator(_edge_checks, mode="view")
        self.add_decorator(_bounded_integers, mode="operation")
        self._scalar_queries: dict[str, frozenset[str]] | None = None

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        """Ninja's errors, without the view's own name for a body schema (`payload`): the caller never sees it."""
        errors = []
        for context in error_contexts:
            wrapper = getattr(context.model, "__read_from_single_attr__", None)
            for error in super().validation_error_from_error_contexts([context]).errors:
                source, *path = error["loc"]
                if wrapper and path[:1] == [wrapper]:
                    error["loc"] = (source, *path[1:])
                errors.append(error)
        return ValidationError(errors)

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
