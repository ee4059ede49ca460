"""Name normalisation for accent- and case-insensitive search."""

import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize(text: str) -> str:
    """'L'Île-d'Yeu' → 'l ile d yeu'; 'St-Martin' → 'saint martin'."""
    words = _NON_ALNUM.sub(" ", unidecode(text).lower()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)
