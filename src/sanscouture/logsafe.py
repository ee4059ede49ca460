"""Application logs never carry secrets or personal data: links with tokens, e-mail addresses, phone
numbers, NIR and bearer tokens are masked before a line is written (TRUST.md, log hygiene)."""

import logging
import re

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


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Masks the formatted message (arguments included) of every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
