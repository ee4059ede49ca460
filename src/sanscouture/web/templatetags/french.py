"""French agreement of counts: 0 and 1 take the singular (« 0 événement mesuré »), where Django's `pluralize` follows
English and writes « 0 événements »."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def pluriel(value: Any, forms: str = "s") -> str:  # noqa: ANN401
    """`{{ n|pluriel }}` → '' for 0 and 1, 's' from 2; `{{ n|pluriel:"a,ont" }}` → 'a' or 'ont' (as `pluralize`)."""
    singular, _, plural = forms.rpartition(",")
    try:
        many = abs(float(len(value) if isinstance(value, list | tuple | set) else value)) >= 2
    except (TypeError, ValueError):
        return singular
    return plural if many else singular
