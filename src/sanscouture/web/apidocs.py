"""The API documentation page, in French with the DSFR, built from the app's own OpenAPI document (ADR 015).

`web` may not import the API (same layer, independent): `urls.py` hands the view `api.get_openapi_schema`.
"""

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django.utils.text import slugify

# Who may call an operation, from its `security` (ninja's scheme names; `{}` is anonymous, see apicontract).
CALLERS = {"AgentSession": "session d'agent", "ApiTokenAuth": "jeton d'API", "": "sans authentification"}
STATUS_FR = {
    200: "Succès.",
    201: "Créé.",
    204: "Fait, sans contenu.",
    400: "Requête invalide : caractère interdit, entier hors limites, paramètre répété, corps illisible.",
    401: "Authentification requise.",
    403: "Refusé : droits insuffisants, ou jeton CSRF absent avec une session.",
    404: "Introuvable (ou hors de votre périmètre).",
    409: "Conflit avec l'état actuel (par exemple une clé d'idempotence réutilisée pour une autre requête).",
    413: "Corps de requête trop volumineux.",
    415: "Le corps doit être envoyé en JSON (Content-Type: application/json).",
    422: "Valeurs invalides (détail par champ).",
    429: "Trop d'écritures anonymes : réessayez après le délai de l'en-tête Retry-After.",
}
LOCATION_FR = {"path": "chemin", "query": "requête", "header": "en-tête", "cookie": "cookie"}
TYPE_FR = {
    "string": "texte",
    "integer": "entier",
    "number": "nombre",
    "boolean": "booléen",
    "object": "objet",
    "null": "null",
}
FORMAT_FR = {"date": "date AAAA-MM-JJ", "date-time": "date et heure ISO 8601", "uuid": "UUID", "email": "courriel"}
ENGLISH_PHRASES = {s.phrase for s in HTTPStatus} | {"OK"}


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str = ""
    where: str = ""


@dataclass
class Response:
    status: str
    description: str
    schema: str
    error: bool


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: list[tuple[str, bool]]  # (text, is code): the OpenAPI's `code` spans
    callers: list[str]
    anonymous: bool
    parameters: list[Field]
    body: list[Field]
    body_schema: str
    responses: list[Response]


@dataclass
class Section:
    tag: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_label(schema: dict[str, Any]) -> str:
    """A schema's type in French words: "texte (date AAAA-MM-JJ) ou null", "liste de TaskOut"."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " ou ".join(dict.fromkeys(type_label(s) for s in schema[key]))
    if "enum" in schema:
        return "une valeur parmi : " + ", ".join(f"« {v} »" for v in schema["enum"])
    if "const" in schema:
        return f"« {schema['const']} »"
    kind = schema.get("type")
    if kind == "array":
        return "liste de " + type_label(schema.get("items", {}))
    if isinstance(kind, list):
        return " ou ".join(TYPE_FR.get(k, k) for k in kind)
    label = TYPE_FR.get(kind, "valeur libre") if kind else "valeur libre"
    fmt = schema.get("format")
    if fmt in FORMAT_FR:
        label += f" ({FORMAT_FR[fmt]})"
    return label


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> tuple[list[Field], str]:
    """The top-level fields of a body schema (following one $ref), and its name."""
    name = ""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        schema = components.get(name, {})
    required = set(schema.get("required", []))
    return [
        Field(
            name=prop,
            type=type_label(definition),
            required=prop in required,
            description=definition.get("description", ""),
        )
        for prop, definition in schema.get("properties", {}).items()
    ], name


def _response_schema(response: dict[str, Any]) -> str:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return type_label(schema) if schema else ""


def _response(status: str, response: dict[str, Any]) -> Response:
    schema = _response_schema(response)
    text = response.get("description", "")
    if not text or text in ENGLISH_PHRASES:
        text = STATUS_FR.get(int(status), text) if status.isdigit() else text
    return Response(status=status, description=text, schema=schema, error=schema == "ErrorOut")


def _operation(path: str, method: str, op: dict[str, Any], components: dict[str, Any]) -> Operation:
    security = op.get("security")
    # No `security` at all: the operation has no authentication (public).
    schemes = [next(iter(s), "") for s in security] if security is not None else [""]
    parameters = [
        Field(
            name=p["name"],
            type=type_label(p.get("schema", {})),
            required=bool(p.get("required")),
            description=p.get("description", ""),
            where=LOCATION_FR.get(p.get("in", ""), p.get("in", "")),
        )
        for p in op.get("parameters", [])
    ]
    body, body_schema = [], ""
    if "requestBody" in op:
        schema = op["requestBody"].get("content", {}).get("application/json", {}).get("schema", {})
        body, body_schema = _fields(schema, components)
    return Operation(
        anchor=slugify(f"{method}-{path}"),
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=[(part, i % 2 == 1) for i, part in enumerate(re.split(r"`", op.get("description", ""))) if part],
        callers=[CALLERS.get(s, s) for s in schemes],
        anonymous="" in schemes,
        parameters=parameters,
        body=body,
        body_schema=body_schema,
        responses=[_response(str(s), r) for s, r in sorted(op.get("responses", {}).items(), key=lambda i: str(i[0]))],
    )


def sections(schema: dict[str, Any]) -> list[Section]:
    """The operations grouped by tag, in the order the API declares them."""
    components = schema.get("components", {}).get("schemas", {})
    found: dict[str, Section] = {}
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["Autres"])[0]
            section = found.setdefault(tag, Section(tag=tag, anchor=slugify(f"theme-{tag}")))
            section.operations.append(_operation(path, method, op, components))
    return list(found.values())
