"""Application logs never carry secrets or personal data, and logged values cannot forge lines (TRUST.md, log
hygiene; docs/adr/014).

Every handler — Django's, the task worker's, gunicorn's error and access logs — carries `RedactFilter`, which
rewrites each record before any formatter sees it: the message (arguments included) is masked (links with tokens,
e-mail addresses, phone numbers, NIR, bearer tokens) and its control characters escaped (a `\\n` in a logged path
stays on its line); the traceback and stack, formatted here, are masked the same way and each of their lines after
the record's first line is prefixed with `  | `, so that nothing in them can pass for a record of its own.
"""

import ipaddress
import logging
import re
import traceback

_PATTERNS = [
    (re.compile(r"(/(?:suivi|invitation|declarer/[^/\s]+/confirmation)/)[^/\s?\"]+"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/-]+=*"), r"\1***"),
    (re.compile(r"\bsc_[A-Za-z0-9_-]{10,}"), "sc_***"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "***@***"),
    (re.compile(r"(?<![\w-])(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?![\w-])"), "** ** ** ** **"),
    (
        re.compile(
            r"(?<![\w-])[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![\w-])"
        ),
        "NIR-masqué",
    ),
]
# Control characters, and the Unicode line and paragraph separators some viewers break lines on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
CONTINUATION = "\n  | "


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def escape_controls(text: str) -> str:
    """`\\n`, `\\r`, `\\t`, `\\xNN` or `\\uNNNN` in place of each control character: one value, one line."""

    def one(m: re.Match[str]) -> str:
        c = m.group()
        return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return _CONTROL.sub(one, text)


def _block(text: str) -> str:
    """A multi-line block (traceback, stack) masked, its control characters escaped line by line, each line marked
    as the continuation of the record."""
    lines = text.rstrip("\n").split("\n")
    return CONTINUATION.lstrip("\n") + CONTINUATION.join(redact(escape_controls(line)) for line in lines)


class RedactFilter(logging.Filter):
    """Masks and escapes every record that passes through a handler (see the module's docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_sanscouture_safe", False):
            return True  # already rewritten by another handler
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a record with bad arguments still gets logged, safely
            message = f"{record.msg!r} % {record.args!r}"
        # Escaped first: a control character must not stop a pattern short (a token after `/suivi/\x0c`).
        record.msg, record.args = redact(escape_controls(message)), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _block("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = _block(record.exc_text)
        if record.stack_info:
            record.stack_info = _block(record.stack_info)
        record._sanscouture_safe = True  # type: ignore[attr-defined]
        return True


def truncate_address(address: str) -> str:
    """A client address cut to its network (IPv4 /24, IPv6 /48), as the access log keeps it: enough to see a
    flood's origin, no longer a person's address (the throttles keep a keyed hash of the full one, never the
    address itself)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
