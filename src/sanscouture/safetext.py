"""Characters refused at the edge and in imported files: NUL and the other control characters, and lone UTF-16
surrogates (PostgreSQL rejects them, SQLite stores them, logs and screens misrender them). Used by the request
middleware (web.middleware) and by every importer, so one definition says what a valid text is."""

import re
from collections.abc import Iterator
from typing import Any

# In free text (messages, descriptions, imported fields) tab, newline and carriage return are legitimate.
FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In a single line (paths, query strings, keys, names) no control character at all.
FORBIDDEN_IN_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def describe(char: str) -> str:
    """A readable name for a refused character: « NUL (U+0000) »."""
    names = {"\x00": "NUL", "\t": "tabulation", "\n": "saut de ligne", "\r": "retour chariot", "\x7f": "DEL"}
    return f"{names.get(char, 'caractère de contrôle')} (U+{ord(char):04X})"


def _walk(value: Any, where: str) -> Iterator[tuple[str, str, bool]]:
    """(location, text, is_a_key) for every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield where, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                yield inner, key, True
            yield from _walk(item, inner)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def first_forbidden(value: Any, *, where: str = "") -> tuple[str, str] | None:
    """The location and the character of the first forbidden character in `value` (a string, or dicts and lists of
    them), or None. Keys are single lines; values are free text."""
    for location, text, is_key in _walk(value, where):
        found = (FORBIDDEN_IN_LINE if is_key else FORBIDDEN_IN_TEXT).search(text)
        if found:
            return location or "(valeur)", found.group()
    return None


# A JSON escape of a forbidden control character (\u0000…\u0008, \u000b, \u000c, \u000e…\u001f, \u007f), not
# itself escaped: an odd number of backslashes before the `u`. Raw control bytes are already invalid JSON.
_JSON_CONTROL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(00(?:0[0-8bBcC]|0[eEfF]|1[0-9a-fA-F])|007[fF])")


def refuse_control_escapes(raw: bytes, where: str) -> None:
    """For importers, before parsing a JSON file: a NUL or control character anywhere refuses the whole file with
    the line where it is (the import changes nothing). Scans the bytes: fast on the national files."""
    from sanscouture.errors import ImportFailed

    found = _JSON_CONTROL_ESCAPE.search(raw)
    if found:
        char = chr(int(found.group(1), 16))
        line = raw.count(b"\n", 0, found.start()) + 1
        raise ImportFailed(
            f"{where}, ligne {line} : caractère interdit ({describe(char)}). Fichier refusé, rien n'a été modifié.",
            details={"fichier": where, "ligne": line, "caractere": f"U+{ord(char):04X}"},
        )


def query_param(request: Any, name: str, size: int = 120) -> str:
    """A query parameter as typed, without control characters (NUL breaks some databases), trimmed and bounded."""
    return FORBIDDEN_IN_LINE.sub("", request.GET.get(name, "")).strip()[:size]
