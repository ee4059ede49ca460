"""French agreement of counts in every template (a builtin, settings.TEMPLATES): 0 and 1 take the singular
(« 0 événement mesuré »), where Django's `pluralize` follows English and writes « 0 événements »."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def pluriel(value: Any, forms: str = "s") -> str:  # noqa: ANN401
    """`{{ n|pluriel }}` → '' for 0 and 1, 's' from 2; `{{ n|pluriel:"a,ont" }}` → 'a' or 'ont' (as `pluralize`)."""
    singular, _, plural = forms.rpartition(",")
    try:
        count = float(value)
    except (TypeError, ValueError):
        try:
            count = len(value)
        except TypeError:
            return singular
    return plural if abs(count) >= 2 else singular
